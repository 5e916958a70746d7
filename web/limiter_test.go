package web_test

import (
	"testing"
	"time"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/web"
)

// Both limiters answer alike within a window: n events pass, the next is
// refused and the key is blocked; Reset clears it; n ≤ 0 is unlimited.
func TestLimitersAllowBlockAndReset(t *testing.T) {
	limiters := map[string]web.Limiter{"local": web.NewLocalLimiter(), "shared": web.NewSharedLimiter(dbtest.Open(t))}
	now := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	for name, l := range limiters {
		ctx := t.Context()
		for i := 1; i <= 4; i++ {
			blocked, err := l.Blocked(ctx, "k", 3, time.Minute, now)
			if err != nil || blocked != (i == 4) {
				t.Fatalf("%s: before event %d blocked=%v %v", name, i, blocked, err)
			}
			ok, err := l.Allow(ctx, "k", 3, time.Minute, now)
			if err != nil || ok != (i <= 3) {
				t.Fatalf("%s: event %d allowed=%v %v", name, i, ok, err)
			}
		}
		if err := l.Reset(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if ok, err := l.Allow(ctx, "k", 3, time.Minute, now); !ok || err != nil {
			t.Fatalf("%s: after reset refused: %v", name, err)
		}
		for range 5 {
			if ok, _ := l.Allow(ctx, "unlimited", 0, time.Minute, now); !ok {
				t.Fatalf("%s: n=0 refused", name)
			}
		}
		if ok, _ := l.Allow(ctx, "other", 1, time.Minute, now); !ok {
			t.Fatalf("%s: another key refused", name)
		}
	}
	// The shared limiter's window is fixed: the next minute starts afresh.
	s := limiters["shared"]
	if ok, _ := s.Allow(t.Context(), "other", 1, time.Minute, now.Add(time.Minute)); !ok {
		t.Fatal("shared: the next window refused")
	}
}
