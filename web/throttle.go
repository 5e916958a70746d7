package web

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Throttle limits events per key (failed sign-ins per account, tests per
// user and hook parent) with token buckets. Idle buckets are forgotten.
type Throttle struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewThrottle makes an empty throttle.
func NewThrottle() *Throttle { return &Throttle{buckets: map[string]*bucket{}} }

// Allow takes one event for key under a limit of n per period. It reports
// false, taking nothing, when the key is over the limit. n ≤ 0 means
// unlimited.
func (t *Throttle) Allow(key string, n int, period time.Duration, now time.Time) bool {
	if n <= 0 {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.bucketFor(key, n, period, now)
	return b.lim.AllowN(now, 1)
}

// Blocked reports whether key is over its limit without taking an event.
func (t *Throttle) Blocked(key string, n int, period time.Duration, now time.Time) bool {
	if n <= 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bucketFor(key, n, period, now).lim.TokensAt(now) < 1
}

// Reset forgets a key (a successful sign-in clears its failures).
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.buckets, key)
}

func (t *Throttle) bucketFor(key string, n int, period time.Duration, now time.Time) *bucket {
	if now.Sub(t.sweep) > 10*time.Minute {
		for k, b := range t.buckets {
			if now.Sub(b.seen) > 24*time.Hour {
				delete(t.buckets, k)
			}
		}
		t.sweep = now
	}
	every := rate.Every(period / time.Duration(n))
	b, ok := t.buckets[key]
	if !ok || b.lim.Burst() != n || b.lim.Limit() != every {
		b = &bucket{lim: rate.NewLimiter(every, n)}
		b.lim.SetLimitAt(now, every)
		t.buckets[key] = b
	}
	b.seen = now
	return b
}
