package delivery

import (
	"context"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// claimLoop leases due deliveries from the outbox whenever there may be
// some it can take, and hands them to the dispatcher, so that claiming
// never holds up dispatching. A wake-up (deliveries published without a
// lease) and the poll (leases run out) mean there may be some. Room freed
// by a finished send is worth a claim only when the hooks the last claim
// left deliveries behind for have room again (see roomFor), or when the
// last claim had no room to look. So a busy engine whose work all comes
// leased, or whose outbox holds only a hanging hook's backlog, does not
// run a claim transaction after every send.
func (e *Engine) claimLoop(ctx context.Context, outcomes chan<- db.Outcome) {
	poll := time.NewTicker(e.opt.Poll)
	defer poll.Stop()
	due := true         // a claim is worth running
	unknown := false    // the last claim did not look (no room, or an error)
	var waiting []int64 // hooks the last claim left due deliveries behind for
	for {
		if due {
			n, w, looked, err := e.claim(ctx, outcomes)
			if err != nil && ctx.Err() == nil {
				e.log.Error("claim deliveries", "err", err)
			}
			unknown = !looked || err != nil
			if looked && err == nil {
				waiting = w
			}
			if n > 0 && e.roomFor(waiting) {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
			due = true
		case <-poll.C:
			due = true
		case <-e.freed:
			due = unknown || e.roomFor(waiting)
		}
	}
}

// roomFor reports whether a claim for hooks is worth its transaction: an
// eighth of the bound on held payloads is free, and together the hooks
// have room for an eighth of what the engine holds, or one of them is down
// to its last round of sends.
func (e *Engine) roomFor(hooks []int64) bool {
	r := e.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.count > 0 && r.maxBytes-r.bytes < r.maxBytes/8 {
		return false
	}
	room := 0
	for _, id := range hooks {
		held := r.perHook[id]
		if held <= e.opt.PerHook {
			return true
		}
		room += r.maxPerHook - held
	}
	return len(hooks) > 0 && room >= r.maxCount/8
}

// claim reserves the room left in memory, leases due deliveries from the
// outbox within it — at most the per-hook room for each hook, the free
// count and bytes in all — keeps the room of what it took, gives back the
// rest, and hands the deliveries to the dispatcher. It returns how many it
// claimed and the hooks it left due deliveries behind for; looked is false
// when it had no room to look.
func (e *Engine) claim(ctx context.Context, outcomes chan<- db.Outcome) (n int, waiting []int64, looked bool, err error) {
	// While busy, claim in big batches: a claim costs a transaction however
	// few rows it takes. The poll and every wake-up claim again.
	e.claims.Add(1)
	res := e.room.reserve(e.maxHeld()/8, e.opt.MaxHeldBytes/8)
	if res == nil {
		return 0, nil, false, nil
	}
	taken := map[int64]int{}
	var takenBytes int64
	settled := false
	defer func() {
		if !settled {
			res.settle(taken, takenBytes)
		}
	}()
	st, err := e.store.CachedSettings(ctx)
	if err != nil {
		return 0, nil, false, err
	}
	now := e.now()
	claims, waiting, err := e.store.ClaimDeliveries(ctx, e.id, now, e.leaseUntil(now),
		db.ClaimLimits{Count: res.count, Bytes: res.bytes, FirstAnySize: res.empty, Room: res.hookRoom})
	if err != nil || len(claims) == 0 {
		return 0, waiting, err == nil, err
	}
	batch, err := e.jobsFor(ctx, claims, st, outcomes)
	if err != nil {
		// Leased to this engine but not held: hand them back now rather
		// than let the heartbeat keep them.
		ids := make([]int64, len(claims))
		for i, c := range claims {
			ids[i] = c.ID
		}
		if rerr := e.store.ReleaseDeliveries(context.WithoutCancel(ctx), e.id, ids); rerr != nil {
			e.log.Error("hand back claimed deliveries", "err", rerr)
		}
		return 0, nil, false, err
	}
	for _, j := range batch {
		taken[j.Hook.ID]++
		takenBytes += j.size
	}
	res.settle(taken, takenBytes)
	settled = true
	if len(batch) > 0 {
		select {
		case e.ready <- batch:
		case <-ctx.Done():
			// Shutting down: hand them back at once.
			e.handBack(context.WithoutCancel(ctx), batch)
			return 0, nil, true, nil
		}
	}
	return len(claims), waiting, true, nil
}

// jobsFor loads what claimed deliveries need — hooks, and events with
// their prepared payloads, one per event — and makes them jobs. A delivery
// whose hook or event is gone, or whose event's payload cannot be read,
// ends at once with the outcome it gets.
func (e *Engine) jobsFor(ctx context.Context, claims []db.Claim, st model.Settings, outcomes chan<- db.Outcome) ([]Job, error) {
	hookIDs := make([]int64, 0, len(claims))
	eventIDs := make([]int64, 0, len(claims))
	for _, c := range claims {
		hookIDs = append(hookIDs, c.HookID)
		eventIDs = append(eventIDs, c.EventID)
	}
	hooks, err := e.store.HooksByIDs(ctx, hookIDs)
	if err != nil {
		return nil, err
	}
	events := make(map[int64]*db.DeliveryEvent, len(eventIDs))
	payloads := make(map[int64]*Payload, len(eventIDs))
	var missing []int64
	for _, id := range eventIDs {
		if c, ok := e.events.get(id); ok {
			events[id], payloads[id] = c.ev, c.p
		} else if _, ok := events[id]; !ok {
			events[id] = nil
			missing = append(missing, id)
		}
	}
	var unreadable map[int64]error
	if len(missing) > 0 {
		var loaded map[int64]*db.DeliveryEvent
		loaded, unreadable, err = e.store.DeliveryEvents(ctx, missing)
		if err != nil {
			return nil, err
		}
		for id, ev := range loaded {
			events[id] = ev
			if unreadable[id] != nil {
				continue
			}
			p := NewStoredPayload(ev.Payload, nil)
			payloads[id] = p
			e.events.put(ev, p)
		}
	}
	batch := make([]Job, 0, len(claims))
	for _, c := range claims {
		h, ev := hooks[c.HookID], events[c.EventID]
		if h == nil || ev == nil {
			outcomes <- db.Outcome{DeliveryID: c.ID} // deleted meanwhile
			continue
		}
		if err := unreadable[c.EventID]; err != nil {
			e.log.Error("deliver event", "err", err, "hook_id", h.ID)
			outcomes <- e.unreadableOutcome(c, h, ev, err)
			continue
		}
		batch = append(batch, Job{DeliveryID: c.ID, Hook: h, Event: ev,
			Payload: payloads[c.EventID], IdempotencyKey: c.IdempotencyKey, Settings: st, size: c.PayloadSize})
	}
	return batch, nil
}

// unreadableOutcome ends a delivery whose event's stored payload cannot be
// read: nothing is sent, and the log row says why (an internal error that
// does not count against the hook, whose receiver was never asked).
func (e *Engine) unreadableOutcome(c db.Claim, h *model.Hook, ev *db.DeliveryEvent, err error) db.Outcome {
	a := Attempt{Trigger: ev.Scope, URL: maskedURL(h.URL), RequestHeaders: map[string]string{},
		RequestData: []byte("{}"), ResponseHeaders: map[string]string{}, InternalErrorMessage: err.Error()}
	a.URLHash, _ = e.sender.HookURLHash(*h)
	return db.Outcome{DeliveryID: c.ID, Log: LogRow(h.ID, &ev.ID, c.IdempotencyKey, a, nil)}
}
