package delivery

import (
	"context"
	"time"

	"github.com/hooklab/hooklab/db"
)

// claimLoop leases due deliveries from the outbox whenever there may be
// some and hands them to the dispatcher, so that claiming never holds up
// dispatching. A wake-up (deliveries published without a lease) and the
// poll (leases run out) mean there may be some; room freed by a finished
// send is worth a claim only while the last one left due deliveries
// behind, so a busy engine whose work all comes leased does not run an
// empty claim transaction after every send.
func (e *Engine) claimLoop(ctx context.Context, outcomes chan<- db.Outcome) {
	poll := time.NewTicker(e.opt.Poll)
	defer poll.Stop()
	backlog := true // the outbox may hold due deliveries not yet claimed
	for {
		if backlog {
			n, more, err := e.claim(ctx, outcomes)
			if err != nil && ctx.Err() == nil {
				e.log.Error("claim deliveries", "err", err)
			}
			backlog = err != nil || more
			if n > 0 && more {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
			backlog = true
		case <-poll.C:
			backlog = true
		case <-e.room:
		}
	}
}

// claim leases due deliveries for the room left in memory, at most
// maxHeldPerHook held per hook, and hands them to the dispatcher. It
// returns how many it claimed, and more when due deliveries may be left
// (it had no room to look, or room cut the claim short).
func (e *Engine) claim(ctx context.Context, outcomes chan<- db.Outcome) (n int, more bool, err error) {
	e.load.mu.Lock()
	free, busy := e.maxHeld()-e.load.total, e.load.total > 0
	held := make(map[int64]int, len(e.load.perHook))
	for id, n := range e.load.perHook {
		held[id] = n
	}
	e.load.mu.Unlock()
	// While busy, claim in big batches: a claim costs a transaction however
	// few rows it takes. The poll and every wake-up claim again.
	if free <= 0 || busy && free < e.maxHeld()/8 {
		return 0, true, nil
	}
	room := func(hookID int64) int { return e.maxHeldPerHook() - held[hookID] }
	st, err := e.store.CachedSettings(ctx)
	if err != nil {
		return 0, true, err
	}
	now := e.now()
	claims, more, err := e.store.ClaimDeliveries(ctx, now, now.Add(lease(st)), free, room)
	if err != nil || len(claims) == 0 {
		return 0, more || err != nil, err
	}
	hookIDs := make([]int64, 0, len(claims))
	eventIDs := make([]int64, 0, len(claims))
	for _, c := range claims {
		hookIDs = append(hookIDs, c.HookID)
		eventIDs = append(eventIDs, c.EventID)
	}
	hooks, err := e.store.HooksByIDs(ctx, hookIDs)
	if err != nil {
		return 0, true, err
	}
	events, err := e.store.DeliveryEvents(ctx, eventIDs)
	if err != nil {
		return 0, true, err
	}
	// One prepared payload per event, shared by all its hooks.
	payloads := make(map[int64]*Payload, len(events))
	for id, ev := range events {
		payloads[id] = NewStoredPayload(ev.Payload, nil)
	}
	batch := make([]Job, 0, len(claims))
	for _, c := range claims {
		h, ev := hooks[c.HookID], events[c.EventID]
		if h == nil || ev == nil {
			outcomes <- db.Outcome{DeliveryID: c.ID} // deleted meanwhile
			continue
		}
		e.load.add(c.HookID, 1)
		batch = append(batch, Job{DeliveryID: c.ID, Hook: h, Event: ev,
			Payload: payloads[c.EventID], IdempotencyKey: c.IdempotencyKey, Settings: st})
	}
	if len(batch) > 0 {
		select {
		case e.claimed <- batch:
		case <-ctx.Done():
			// Shutting down: hand them back at once.
			ids := make([]int64, len(batch))
			for i, j := range batch {
				ids[i] = j.DeliveryID
			}
			if err := e.store.ReleaseDeliveries(context.WithoutCancel(ctx), ids); err != nil {
				e.log.Error("release claimed deliveries", "err", err)
			}
			return 0, false, nil
		}
	}
	return len(claims), more, nil
}
