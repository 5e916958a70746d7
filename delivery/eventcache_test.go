package delivery

import (
	"testing"

	"github.com/hooklab/hooklab/db"
)

// The cache keeps the newest events up to its size, evicting the oldest
// first, and keeps the first copy of an event put twice.
func TestEventCacheEvictsTheOldest(t *testing.T) {
	c := newEventCache(3)
	p := NewStoredPayload([]byte(`{}`), nil)
	for id := int64(1); id <= 4; id++ {
		c.put(&db.DeliveryEvent{ID: id, UUID: "first"}, p)
	}
	c.put(&db.DeliveryEvent{ID: 4, UUID: "second"}, p)
	if _, ok := c.get(1); ok {
		t.Error("event 1 was not evicted")
	}
	for id := int64(2); id <= 4; id++ {
		got, ok := c.get(id)
		if !ok || got.ev.UUID != "first" || got.p != p {
			t.Errorf("event %d: got %+v %v", id, got, ok)
		}
	}
	c.put(&db.DeliveryEvent{ID: 5}, p)
	if _, ok := c.get(2); ok {
		t.Error("event 2 was not evicted next")
	}
}
