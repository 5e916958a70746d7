package delivery

import (
	"bytes"
	"testing"

	"github.com/hooklab/hooklab/db"
)

// The cache keeps the newest events within its count and byte bounds,
// evicting the oldest first; it keeps the first copy of an event put
// twice, and no payload too big for it.
func TestEventCacheEvictsTheOldest(t *testing.T) {
	c := newEventCache(3, 32*100)
	payload := func(n int) db.Blob { return db.Blob(bytes.Repeat([]byte("x"), n)) }
	put := func(id int64, size int, uuid string) {
		c.put(&db.DeliveryEvent{ID: id, UUID: uuid, Payload: payload(size)}, NewStoredPayload(payload(size), nil))
	}
	has := func(ids ...int64) {
		t.Helper()
		for _, id := range ids {
			if _, ok := c.get(id); !ok {
				t.Errorf("event %d is not cached", id)
			}
		}
	}
	hasNot := func(ids ...int64) {
		t.Helper()
		for _, id := range ids {
			if _, ok := c.get(id); ok {
				t.Errorf("event %d is still cached", id)
			}
		}
	}
	for id := int64(1); id <= 4; id++ {
		put(id, 10, "first")
	}
	put(4, 10, "second")
	hasNot(1)
	has(2, 3, 4)
	if got, _ := c.get(4); got.ev.UUID != "first" {
		t.Errorf("event 4 was replaced")
	}
	put(5, 101, "") // over a 32nd of the 3,200-byte bound: never cached
	hasNot(5)
	has(2, 3, 4)
	// The byte bound: 33 payloads of 9 bytes fit in 300, a 34th does not.
	c = newEventCache(100, 300)
	for id := int64(1); id <= 33; id++ {
		put(id, 9, "")
	}
	has(1, 33)
	put(34, 9, "")
	hasNot(1)
	has(2, 34)
	if c.bytes > c.maxBytes {
		t.Errorf("cache holds %d bytes, bound %d", c.bytes, c.maxBytes)
	}
}
