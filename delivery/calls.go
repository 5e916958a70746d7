package delivery

import (
	"context"
	"strconv"
	"time"

	"github.com/hooklab/hooklab/db"
)

// CallCounter counts deliveries per top-level group against
// web_hook_calls, in fixed one-minute windows.
type CallCounter interface {
	// AllowCall takes one delivery for the group and reports whether it is
	// within limit (≤ 0: unlimited).
	AllowCall(ctx context.Context, rootGroupID int64, limit int, now time.Time) (bool, error)
}

// SharedCalls counts in the database, so web_hook_calls holds across every
// instance delivering from it; each delivery costs one write. The
// engine's default counts in memory, which is right for one instance.
func SharedCalls(store *db.Store) CallCounter { return sharedCalls{store} }

type sharedCalls struct{ store *db.Store }

func (c sharedCalls) AllowCall(ctx context.Context, root int64, limit int, now time.Time) (bool, error) {
	if limit <= 0 {
		return true, nil
	}
	n, err := c.store.CountInWindow(ctx, "web_hook_calls:group:"+strconv.FormatInt(root, 10), time.Minute, now)
	return n <= limit, err
}

// AllowCall implements CallCounter in memory.
func (l *callLimiter) AllowCall(_ context.Context, root int64, limit int, now time.Time) (bool, error) {
	return l.allow(root, limit, now), nil
}
