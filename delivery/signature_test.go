package delivery

import (
	"encoding/base64"
	"testing"
	"time"
)

// The Standard Webhooks specification's test vector.
func TestSignatureVector(t *testing.T) {
	key, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	got := Signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// The cost signing adds to a delivery of a typical (4 KiB) body.
func BenchmarkSignature(b *testing.B) {
	key := make([]byte, 32)
	body := make([]byte, 4<<10)
	now := time.Now()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		_ = Signature(key, "8d6c7c43-2f7e-4d8e-9f64-3c1f0b1e2a77", now, body)
	}
}
