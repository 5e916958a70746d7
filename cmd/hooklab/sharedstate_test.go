package main

import (
	"testing"
	"time"

	"github.com/hooklab/hooklab/db/dbtest"
)

// With SharedState the limits are counted in the database (every instance
// sees them); without it, in memory, and the database is not written.
func TestSharedStateCountsLimitsInTheDatabase(t *testing.T) {
	for _, shared := range []bool{false, true} {
		store := dbtest.Open(t)
		ctx := t.Context()
		now := time.Now()
		cfg := config{SharedState: shared}
		if ok, err := limiter(cfg, store).Allow(ctx, "signin:ip:192.0.2.1", 10, 10*time.Minute, now); !ok || err != nil {
			t.Fatalf("shared=%v: first sign-in failure refused: %v", shared, err)
		}
		calls := callCounter(cfg, store)
		if (calls != nil) != shared {
			t.Fatalf("shared=%v: call counter %T", shared, calls)
		}
		if calls != nil {
			if ok, err := calls.AllowCall(ctx, 7, 10, now); !ok || err != nil {
				t.Fatalf("first call refused: %v", err)
			}
		}
		want := 0
		if shared {
			want = 1
		}
		for key, window := range map[string]time.Duration{"signin:ip:192.0.2.1": 10 * time.Minute, "web_hook_calls:group:7": time.Minute} {
			if n, err := store.CountSoFar(ctx, key, window, now); err != nil || n != want {
				t.Fatalf("shared=%v: %s counted %d in the database (%v), want %d", shared, key, n, err, want)
			}
		}
	}
}
