package delivery

import (
	"context"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// dispatcher owns the held deliveries until a worker takes them.
type dispatcher struct {
	e        *Engine
	inflight map[int64]int   // hook → sends in progress
	queued   map[int64][]Job // hook → held, waiting for the hook's turn
}

func (d *dispatcher) loop(ctx context.Context, jobs chan<- Job, done <-chan finished, outcomes chan<- db.Outcome) error {
	e := d.e
	for {
		if err := d.dispatch(ctx, jobs, done, outcomes); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case f := <-done:
			d.finish(f)
		case batch := <-e.hot:
			d.takeHot(ctx, batch, outcomes)
		case batch := <-e.claimed:
			d.take(batch)
		}
	}
}

// dispatch hands queued jobs to idle workers, respecting each hook's cap,
// while taking in finished sends and hot deliveries.
func (d *dispatcher) dispatch(ctx context.Context, jobs chan<- Job, done <-chan finished, outcomes chan<- db.Outcome) error {
	for {
		hookID, ok := d.next()
		if !ok {
			return nil
		}
		q := d.queued[hookID]
		select {
		case jobs <- q[0]:
			d.inflight[hookID]++
			if len(q) == 1 {
				delete(d.queued, hookID)
			} else {
				d.queued[hookID] = q[1:]
			}
		case f := <-done:
			d.finish(f)
		case batch := <-d.e.hot:
			d.takeHot(ctx, batch, outcomes)
		case batch := <-d.e.claimed:
			d.take(batch)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// take queues jobs the claimer leased from the outbox.
func (d *dispatcher) take(batch []Job) {
	for _, j := range batch {
		d.queued[j.Hook.ID] = append(d.queued[j.Hook.ID], j)
	}
}

// next picks a hook with a queued job and room under its cap.
func (d *dispatcher) next() (int64, bool) {
	for id, q := range d.queued {
		if len(q) > 0 && d.inflight[id] < d.e.opt.PerHook {
			return id, true
		}
	}
	return 0, false
}

func (d *dispatcher) finish(f finished) {
	if d.inflight[f.hookID]--; d.inflight[f.hookID] <= 0 {
		delete(d.inflight, f.hookID)
	}
	d.e.load.done(f.hookID, f.size)
	select {
	case d.e.room <- struct{}{}:
	default:
	}
}

// takeHot queues deliveries created leased to this engine. Their room was
// reserved by admit.
func (d *dispatcher) takeHot(ctx context.Context, batch []hotJob, outcomes chan<- db.Outcome) {
	e := d.e
	st, err := e.store.CachedSettings(ctx)
	ids := make([]int64, 0, len(batch))
	for _, h := range batch {
		ids = append(ids, h.d.HookID)
	}
	var hooks map[int64]*model.Hook
	if err == nil {
		hooks, err = e.store.HooksByIDs(ctx, ids)
	}
	for _, h := range batch {
		hook := hooks[h.d.HookID]
		switch {
		case err != nil:
			// Leave it to the outbox: the lease runs out and it is claimed.
			e.log.Error("load hooks for delivery", "err", err)
			e.load.done(h.d.HookID, h.size)
		case hook == nil:
			outcomes <- db.Outcome{DeliveryID: h.d.ID} // deleted meanwhile
			e.load.done(h.d.HookID, h.size)
		default:
			d.queued[hook.ID] = append(d.queued[hook.ID], Job{DeliveryID: h.d.ID, Hook: hook, Event: h.event,
				Payload: h.p, IdempotencyKey: h.d.IdempotencyKey, Settings: st, size: h.size})
		}
	}
}
