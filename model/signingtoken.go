package model

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
)

// SigningTokenPrefix starts a hook's signing token: GitLab 19 signs
// deliveries following the Standard Webhooks specification, whose secrets
// are "whsec_" and the base64 of the key.
const SigningTokenPrefix = "whsec_"

// signingKeySize is the length of a signing key: GitLab's tokens hold 32
// random bytes.
const signingKeySize = 32

// SigningTokenProblem is the validation message of a malformed signing
// token.
const SigningTokenProblem = "must be whsec_ followed by the base64 encoding of 32 random bytes"

// SigningKey returns the HMAC key a signing token stands for: the base64
// decoding of what follows "whsec_". ok is false for anything that is not
// "whsec_" and the standard base64 of exactly 32 bytes.
func SigningKey(token string) (key []byte, ok bool) {
	rest, found := strings.CutPrefix(token, SigningTokenPrefix)
	// Go's base64 skips line breaks; a token must not hold any.
	if !found || strings.ContainsAny(rest, "\r\n") {
		return nil, false
	}
	key, err := base64.StdEncoding.Strict().DecodeString(rest)
	if err != nil || len(key) != signingKeySize {
		return nil, false
	}
	return key, true
}

// NewSigningToken returns a fresh signing token: "whsec_" and the base64
// of 32 bytes from the system's secure random source.
func NewSigningToken() string {
	key := make([]byte, signingKeySize)
	_, _ = rand.Read(key) // never fails (crypto/rand panics instead)
	return SigningTokenPrefix + base64.StdEncoding.EncodeToString(key)
}
