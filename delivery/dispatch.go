package delivery

import (
	"context"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// dispatcher owns the held deliveries until a worker takes them. It only
// moves jobs in memory: whatever needs the store happens before a job
// reaches it (claim.go, prepareLoop).
type dispatcher struct {
	e        *Engine
	inflight map[int64]int   // hook → sends in progress
	queued   map[int64][]Job // hook → held, waiting for the hook's turn
}

func newDispatcher(e *Engine) *dispatcher {
	return &dispatcher{e: e, inflight: map[int64]int{}, queued: map[int64][]Job{}}
}

func (d *dispatcher) loop(ctx context.Context, jobs chan<- Job, done <-chan finished) error {
	for {
		if err := d.dispatch(ctx, jobs, done); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case f := <-done:
			d.finish(f)
		case batch := <-d.e.ready:
			d.take(batch)
		}
	}
}

// dispatch hands queued jobs to idle workers, respecting each hook's cap,
// while taking in finished sends and new jobs.
func (d *dispatcher) dispatch(ctx context.Context, jobs chan<- Job, done <-chan finished) error {
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
		case batch := <-d.e.ready:
			d.take(batch)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

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
	d.e.room.release(f.hookID, f.size)
	select {
	case d.e.freed <- struct{}{}:
	default:
	}
}

// unstarted returns the jobs still queued.
func (d *dispatcher) unstarted() []Job {
	var out []Job
	for _, q := range d.queued {
		out = append(out, q...)
	}
	return out
}

// hotJob is a delivery created leased to the running engine, with its
// event already in memory.
type hotJob struct {
	d     db.NewDelivery
	event *db.DeliveryEvent
	p     *Payload
	size  int64
}

// prepareLoop turns deliveries handed over by the publisher into jobs —
// loading their hooks, with secrets — off the dispatcher's goroutine.
func (e *Engine) prepareLoop(ctx context.Context, outcomes chan<- db.Outcome) {
	for {
		select {
		case <-ctx.Done():
			return
		case batch := <-e.hot:
			jobs := e.prepare(ctx, batch, outcomes)
			if len(jobs) == 0 {
				continue
			}
			select {
			case e.ready <- jobs:
			case <-ctx.Done():
				e.handBack(context.WithoutCancel(ctx), jobs)
				return
			}
		}
	}
}

// prepare loads the hooks of hot deliveries. When they cannot be loaded,
// the deliveries are handed back to the outbox at once (not left leased)
// and claimed again; a delivery whose hook was deleted meanwhile ends
// without a log row.
func (e *Engine) prepare(ctx context.Context, batch []hotJob, outcomes chan<- db.Outcome) []Job {
	st, err := e.store.CachedSettings(ctx)
	ids := make([]int64, 0, len(batch))
	for _, h := range batch {
		ids = append(ids, h.d.HookID)
	}
	var hooks map[int64]*model.Hook
	if err == nil {
		hooks, err = e.store.HooksByIDs(ctx, ids)
	}
	jobs := make([]Job, 0, len(batch))
	for _, h := range batch {
		jobs = append(jobs, Job{DeliveryID: h.d.ID, Hook: hooks[h.d.HookID], Event: h.event,
			Payload: h.p, IdempotencyKey: h.d.IdempotencyKey, Settings: st, size: h.size})
		if hooks[h.d.HookID] == nil {
			jobs[len(jobs)-1].Hook = &model.Hook{ID: h.d.HookID}
		}
	}
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("load hooks for delivery; handing the deliveries back to the outbox", "err", err)
		}
		e.handBack(context.WithoutCancel(ctx), jobs)
		return nil
	}
	out := jobs[:0]
	for _, j := range jobs {
		if hooks[j.Hook.ID] == nil {
			e.room.release(j.Hook.ID, j.size)
			outcomes <- db.Outcome{DeliveryID: j.DeliveryID} // deleted meanwhile
			continue
		}
		out = append(out, j)
	}
	return out
}
