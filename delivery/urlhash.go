package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"sync"
)

// URLHash is the salted SHA-256 (HMAC-SHA256, base64) of a hook's
// interpolated URL that a log row keeps, so Resend can tell whether the
// hook still points where the logged request went without storing the
// secret URL.
func URLHash(key []byte, interpolatedURL string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(interpolatedURL))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// urlHashCacheSize bounds the URLs whose hashes a Sender remembers.
const urlHashCacheSize = 4096

// urlHashCache remembers URLHash of the URLs a Sender sends to: every
// attempt logs it, and a hook sends to the same URL again and again. It
// lives in memory only, as the interpolated URLs (secrets included) do
// while they are sent to. Full, it starts over.
type urlHashCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *urlHashCache) get(key []byte, interpolatedURL string) string {
	c.mu.Lock()
	h, ok := c.m[interpolatedURL]
	c.mu.Unlock()
	if ok {
		return h
	}
	h = URLHash(key, interpolatedURL)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= urlHashCacheSize {
		c.m = make(map[string]string)
	}
	c.m[interpolatedURL] = h
	c.mu.Unlock()
	return h
}
