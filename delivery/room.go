package delivery

import "sync"

// room bounds what the engine holds in memory — deliveries queued or on
// the wire — by count, per hook and by bytes. Room is reserved before
// deliveries are taken, under one lock: a publish's deliveries are
// admitted all or nothing, and a claim reserves all the free room before
// it reads the outbox and gives back what it did not take. So no two
// takers ever count on the same room, and the bounds hold exactly, with one
// exception that keeps work from getting stuck: while the engine holds
// nothing, a claim takes its first delivery, and a publish is admitted,
// whatever their size — the only time the bytes held exceed maxBytes is
// while one such delivery or publish is held on its own.
type room struct {
	maxCount   int
	maxPerHook int
	maxBytes   int64

	mu      sync.Mutex
	count   int // held, and reserved by a claim in progress
	bytes   int64
	perHook map[int64]int
	// reservedCount and reservedBytes are the part of count and bytes a
	// claim in progress has reserved but not yet taken.
	reservedCount int
	reservedBytes int64

	// The highest values seen, for tests.
	peakCount, peakPerHook int
	peakBytes              int64
}

func newRoom(maxCount, maxPerHook int, maxBytes int64) *room {
	return &room{maxCount: maxCount, maxPerHook: maxPerHook, maxBytes: maxBytes, perHook: map[int64]int{}}
}

// admit takes room for a publish's new deliveries, one per hook ID (a hook
// may repeat) with bytes of payloads in all, or takes nothing and returns
// false.
func (r *room) admit(hookIDs []int64, bytes int64) bool {
	per := make(map[int64]int, len(hookIDs))
	for _, id := range hookIDs {
		per[id]++
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.count+len(hookIDs) > r.maxCount || (r.count > 0 && r.bytes+bytes > r.maxBytes) {
		return false
	}
	for id, n := range per {
		if r.perHook[id]+n > r.maxPerHook {
			return false
		}
	}
	for id, n := range per {
		r.perHook[id] += n
	}
	r.count += len(hookIDs)
	r.bytes += bytes
	r.notePeaks(per)
	return true
}

// unadmit gives back what admit took.
func (r *room) unadmit(hookIDs []int64, bytes int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range hookIDs {
		r.dropHook(id, 1)
	}
	r.count -= len(hookIDs)
	r.bytes -= bytes
}

// release gives back the room of one held delivery (sent, or handed back).
func (r *room) release(hookID, bytes int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropHook(hookID, 1)
	r.count--
	r.bytes -= bytes
}

func (r *room) dropHook(id int64, n int) {
	if r.perHook[id] -= n; r.perHook[id] <= 0 {
		delete(r.perHook, id)
	}
}

func (r *room) notePeaks(per map[int64]int) {
	r.peakCount = max(r.peakCount, r.count)
	r.peakBytes = max(r.peakBytes, r.bytes)
	for id := range per {
		r.peakPerHook = max(r.peakPerHook, r.perHook[id])
	}
}

// held returns how many deliveries and bytes are held (not counting what
// a claim in progress has reserved).
func (r *room) held() (int, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count - r.reservedCount, r.bytes - r.reservedBytes
}

// reservation is the room a claim reserved: count and bytes at once, each
// hook's share as the claim reaches it.
type reservation struct {
	r       *room
	count   int
	bytes   int64
	empty   bool // the engine held nothing: the first delivery may be any size
	perHook map[int64]int
}

// reserve reserves every free place and byte for a claim, or returns nil
// when less than minCount places are free while the engine holds
// something (a claim costs a transaction however few rows it takes). Only
// one claim runs at a time.
func (r *room) reserve(minCount int, minBytes int64) *reservation {
	r.mu.Lock()
	defer r.mu.Unlock()
	free, freeBytes := r.maxCount-r.count, r.maxBytes-r.bytes
	empty := r.count == 0
	if free <= 0 || !empty && (free < minCount || freeBytes < minBytes) {
		return nil
	}
	res := &reservation{r: r, count: free, bytes: max(freeBytes, 0), empty: empty, perHook: map[int64]int{}}
	r.count += res.count
	r.bytes += res.bytes
	r.reservedCount += res.count
	r.reservedBytes += res.bytes
	return res
}

// hookRoom reserves, and returns, the room left for one hook.
func (res *reservation) hookRoom(hookID int64) int {
	r := res.r
	r.mu.Lock()
	defer r.mu.Unlock()
	n := max(r.maxPerHook-r.perHook[hookID], 0)
	r.perHook[hookID] += n
	res.perHook[hookID] += n
	return n
}

// settle keeps the room of the deliveries the claim took (each hook's
// count, and their bytes in all) and gives back the rest.
func (res *reservation) settle(taken map[int64]int, bytes int64) {
	r := res.r
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for id, reserved := range res.perHook {
		r.dropHook(id, reserved-taken[id])
	}
	for id, k := range taken {
		n += k
		if _, ok := res.perHook[id]; !ok {
			r.perHook[id] += k // not reserved through hookRoom (a caller without per-hook limits)
		}
	}
	r.count += n - res.count
	r.bytes += bytes - res.bytes
	r.reservedCount -= res.count
	r.reservedBytes -= res.bytes
	r.notePeaks(taken)
}
