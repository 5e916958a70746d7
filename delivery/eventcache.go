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
// changed once stored, so a cached one is never stale. It is bounded by
// count and by payload bytes; a payload too big for it is loaded from the
// store each time it is claimed.
type eventCache struct {
	mu       sync.Mutex
	items    map[int64]cachedEvent
	fifo     []int64 // cached IDs, oldest first
	bytes    int
	maxItems int
	maxBytes int
}

type cachedEvent struct {
	ev *db.DeliveryEvent
	p  *Payload
}

func newEventCache(maxItems, maxBytes int) *eventCache {
	return &eventCache{items: make(map[int64]cachedEvent, maxItems), maxItems: maxItems, maxBytes: maxBytes}
}

func (c *eventCache) get(id int64) (cachedEvent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[id]
	return e, ok
}

// put caches an event, evicting the oldest to make room.
func (c *eventCache) put(ev *db.DeliveryEvent, p *Payload) {
	size := len(ev.Payload)
	if size > c.maxBytes/32 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[ev.ID]; ok {
		return
	}
	for len(c.fifo) > 0 && (len(c.items) >= c.maxItems || c.bytes+size > c.maxBytes) {
		old := c.fifo[0]
		c.fifo = c.fifo[1:]
		c.bytes -= len(c.items[old].ev.Payload)
		delete(c.items, old)
	}
	c.fifo = append(c.fifo, ev.ID)
	c.items[ev.ID] = cachedEvent{ev: ev, p: p}
	c.bytes += size
}
