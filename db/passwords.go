package db

import (
	"golang.org/x/crypto/bcrypt"
)

// PasswordCost is bcrypt's work factor for new passwords.
var PasswordCost = bcrypt.DefaultCost

// HashPassword hashes a password for storage.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), PasswordCost)
	return string(h), err
}

// dummyHash is compared against when no user matched, so that a wrong
// username takes as long as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user"), bcrypt.DefaultCost)

// CheckPassword reports whether pw matches hash; an empty hash (no such
// user) still spends the time of a comparison.
func CheckPassword(hash, pw string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
		return false
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
	return err == nil
}
