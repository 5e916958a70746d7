package delivery

import (
	"context"
	"time"

	"github.com/hooklab/hooklab/db"
)

// record writes outcomes in batches: when BatchSize are waiting or the
// oldest has waited BatchWait. Each is recorded only while its delivery is
// still leased to this engine (db.Store.RecordOutcomes); a lost lease is
// logged and counted, never recorded twice. A write that fails is tried
// again, backing off, so no outcome is dropped while the store recovers;
// the deliveries stay leased — renewed by the heartbeat — until it is.
// Once in is closed (shutdown) it gives up after a few tries: the leases
// then end with the process, and the next one sends them again.
func (e *Engine) record(ctx context.Context, in <-chan db.Outcome) {
	batch := make([]db.Outcome, 0, e.opt.BatchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	open := true
	flush := func() {
		if len(batch) > 0 {
			e.writeOutcomes(ctx, batch, !open)
			batch = batch[:0]
		}
	}
	for {
		select {
		case o, ok := <-in:
			if !ok {
				open = false
				flush()
				return
			}
			if len(batch) == 0 {
				timer.Reset(e.opt.BatchWait)
			}
			batch = append(batch, o)
			if len(batch) >= e.opt.BatchSize {
				timer.Stop()
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

// writeOutcomes writes one batch, trying again while it fails.
func (e *Engine) writeOutcomes(ctx context.Context, batch []db.Outcome, stopping bool) {
	backoff := 50 * time.Millisecond
	for try := 1; ; try++ {
		start := time.Now()
		res, err := e.store.RecordOutcomes(ctx, e.id, batch)
		e.metrics.batchDuration.Observe(time.Since(start).Seconds())
		if err == nil {
			e.metrics.recorded(res)
			if len(res.Lost) > 0 {
				e.log.Warn("delivery leases were lost before their outcomes were recorded; another instance sends them",
					"count", len(res.Lost), "delivery_ids", res.Lost)
			}
			return
		}
		e.metrics.batchFailures.Inc()
		if stopping && try >= 5 {
			e.log.Error("record delivery outcomes; giving up at shutdown, the deliveries are sent again after a restart",
				"err", err, "count", len(batch))
			return
		}
		e.log.Error("record delivery outcomes; trying again", "err", err, "count", len(batch), "try", try)
		time.Sleep(backoff)
		backoff = min(2*backoff, 5*time.Second)
	}
}
