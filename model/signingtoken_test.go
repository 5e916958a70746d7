package model

import (
	"strings"
	"testing"
)

func TestSigningKey(t *testing.T) {
	fresh := NewSigningToken()
	if key, ok := SigningKey(fresh); !ok || len(key) != 32 {
		t.Fatalf("SigningKey(%q) = %d bytes, %v", fresh, len(key), ok)
	}
	if NewSigningToken() == fresh {
		t.Fatal("two fresh tokens are equal")
	}
	for _, bad := range []string{
		"", "s3cret", strings.TrimPrefix(fresh, SigningTokenPrefix), "WHSEC_" + strings.TrimPrefix(fresh, SigningTokenPrefix),
		"whsec_c2hvcnQ=",                   // 5 bytes
		"whsec_" + strings.Repeat("A", 43), // no padding
		fresh + " ", fresh + "\n",
	} {
		if _, ok := SigningKey(bad); ok {
			t.Errorf("SigningKey(%q) accepted", bad)
		}
	}
	h := NewHook(SystemHookKind)
	h.URL, h.SigningToken = "https://example.com/hook", "whsec_nope"
	v, _ := AsValidation(h.Validate())
	if v == nil || len(v.For("signing_token")) != 1 {
		t.Errorf("Validate: %v", h.Validate())
	}
}
