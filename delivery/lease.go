package delivery

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hooklab/hooklab/db"
)

// register records this engine as a running instance and, when it is the
// store's only engine, releases every lease an earlier process left: their
// deliveries were queued or on the wire when it died, and are due again
// now, with their idempotency keys.
func (e *Engine) register(ctx context.Context) error {
	now := e.now()
	host, _ := os.Hostname()
	e.instance = db.Instance{ID: e.id, Hostname: host, PID: os.Getpid(), StartedAt: now, HeartbeatAt: now}
	if err := e.store.RegisterInstance(ctx, e.instance); err != nil {
		return fmt.Errorf("start delivery engine: %w", err)
	}
	staleBefore := now.Add(-e.opt.Lease)
	if e.opt.SoleInstance {
		staleBefore = now.Add(time.Hour) // every other instance is gone
	}
	n, err := e.store.ReleaseOrphanedLeases(ctx, e.id, now, staleBefore)
	if err != nil {
		return fmt.Errorf("start delivery engine: %w", err)
	}
	if n > 0 {
		e.log.Info("released deliveries leased by an earlier process", "count", n)
	}
	return nil
}

// heartbeatLoop renews this engine's leases every Heartbeat until ctx
// ends, which is after the last outcome is recorded. A failed renewal is
// logged and tried again at the next beat; a lease that runs out meanwhile
// may be taken over by another instance, and the recorder then drops the
// outcome instead of counting it twice.
func (e *Engine) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(e.opt.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		in := e.instance
		in.HeartbeatAt = e.now()
		if _, err := e.store.Heartbeat(ctx, in, e.leaseUntil(in.HeartbeatAt)); err != nil && ctx.Err() == nil {
			e.log.Error("renew delivery leases", "err", err)
		}
	}
}

// unregister removes this engine's instance record when it stops.
func (e *Engine) unregister(ctx context.Context) {
	if err := e.store.UnregisterInstance(ctx, e.id); err != nil {
		e.log.Error("unregister delivery engine", "err", err)
	}
}
