package delivery

import (
	"sync"

	"github.com/hooklab/hooklab/db"
)

// eventCache keeps the most recently used events with their prepared
// payloads, so that deliveries claimed from the outbox hook by hook — an
// event's deliveries to five hooks may come in five claims — load and
// prepare each event once, and deliveries published while the engine had
// no room for them find their event still in memory. Events are never
// changed once stored, so a cached one is never stale.
type eventCache struct {
	mu    sync.Mutex
	items map[int64]cachedEvent
	order []int64 // a ring of the cached IDs, oldest at next
	next  int
}

type cachedEvent struct {
	ev *db.DeliveryEvent
	p  *Payload
}

func newEventCache(size int) *eventCache {
	return &eventCache{items: make(map[int64]cachedEvent, size), order: make([]int64, 0, size)}
}

func (c *eventCache) get(id int64) (cachedEvent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[id]
	return e, ok
}

// put caches an event, evicting the oldest when full.
func (c *eventCache) put(ev *db.DeliveryEvent, p *Payload) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[ev.ID]; ok {
		return
	}
	if len(c.order) < cap(c.order) {
		c.order = append(c.order, ev.ID)
	} else {
		delete(c.items, c.order[c.next])
		c.order[c.next] = ev.ID
		c.next = (c.next + 1) % len(c.order)
	}
	c.items[ev.ID] = cachedEvent{ev: ev, p: p}
}
