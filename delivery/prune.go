package delivery

import (
	"context"
	"time"
)

// pruneLoop deletes old log rows, events and finished deliveries.
func (e *Engine) pruneLoop(ctx context.Context) {
	t := time.NewTicker(e.opt.PruneEvery)
	defer t.Stop()
	for {
		st, err := e.store.CachedSettings(ctx)
		if err == nil {
			if n, err := e.store.Prune(ctx, e.now(), st.HookLogRetentionDays); err != nil {
				if ctx.Err() == nil {
					e.log.Error("prune hook logs", "err", err)
				}
			} else if n > 0 {
				e.log.Info("pruned old hook logs", "rows", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
