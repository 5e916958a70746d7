package delivery

import (
	"strconv"
	"testing"
)

// The cache answers what URLHash answers, before and after it fills up
// and starts over, and never holds more than its size.
func TestURLHashCacheAgreesWithURLHash(t *testing.T) {
	var c urlHashCache
	key := []byte("key")
	for i := 0; i < urlHashCacheSize+10; i++ {
		u := "https://hooks.example.com/" + strconv.Itoa(i%(urlHashCacheSize+5))
		if got, want := c.get(key, u), URLHash(key, u); got != want {
			t.Fatalf("%s: got %s, want %s", u, got, want)
		}
		if len(c.m) > urlHashCacheSize {
			t.Fatalf("cache holds %d URLs", len(c.m))
		}
	}
	if got, want := c.get([]byte("key"), "https://hooks.example.com/1"), URLHash(key, "https://hooks.example.com/1"); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
