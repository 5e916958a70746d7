package db

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Cipher encrypts secret columns with AES-256-GCM. Each value gets a fresh
// random nonce; the column's name is bound in as additional data, so a
// ciphertext copied into another column does not decrypt.
type Cipher struct {
	aead cipher.AEAD
}

// KeySize is the length of the encryption key.
const KeySize = 32

// NewCipher makes a cipher from a 32-byte key.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Cipher{aead: aead}, nil
}

// Seal encrypts plaintext for column. An empty plaintext is stored as NULL.
func (c *Cipher) Seal(column string, plaintext []byte) []byte {
	if len(plaintext) == 0 {
		return nil
	}
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(plaintext)+c.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return c.aead.Seal(nonce, nonce, plaintext, []byte(column))
}

// SealString is Seal for strings.
func (c *Cipher) SealString(column, plaintext string) []byte {
	return c.Seal(column, []byte(plaintext))
}

// Open decrypts a value sealed for column.
func (c *Cipher) Open(column string, sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	n := c.aead.NonceSize()
	if len(sealed) < n+c.aead.Overhead() {
		return nil, errors.New("decrypt " + column + ": value too short")
	}
	out, err := c.aead.Open(nil, sealed[:n], sealed[n:], []byte(column))
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w", column, err)
	}
	return out, nil
}

// OpenString is Open for strings.
func (c *Cipher) OpenString(column string, sealed []byte) (string, error) {
	b, err := c.Open(column, sealed)
	return string(b), err
}

// Digest is the SHA-256 hex digest used to store tokens that must be looked
// up but never read back (personal access tokens, invite and confirmation
// tokens).
func Digest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
