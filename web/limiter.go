package web

import (
	"context"
	"time"
)

// Limiter limits events per key: failed sign-ins per address, wrong
// passwords and confirmation mails per user, Test and Resend per user and
// hook parent. A key is always used with the same n and period.
type Limiter interface {
	// Allow takes one event for key under a limit of n per period and
	// reports whether it was within the limit. n ≤ 0 means unlimited.
	Allow(ctx context.Context, key string, n int, period time.Duration, now time.Time) (bool, error)
	// Blocked reports whether key is over its limit, taking nothing.
	Blocked(ctx context.Context, key string, n int, period time.Duration, now time.Time) (bool, error)
	// Reset forgets key's events.
	Reset(ctx context.Context, key string) error
}

// NewLocalLimiter keeps the counts in this process's memory (token
// buckets): right when this instance is the only one (SQLite).
func NewLocalLimiter() Limiter { return localLimiter{NewThrottle()} }

type localLimiter struct{ t *Throttle }

func (l localLimiter) Allow(_ context.Context, key string, n int, period time.Duration, now time.Time) (bool, error) {
	return l.t.Allow(key, n, period, now), nil
}

func (l localLimiter) Blocked(_ context.Context, key string, n int, period time.Duration, now time.Time) (bool, error) {
	return l.t.Blocked(key, n, period, now), nil
}

func (l localLimiter) Reset(_ context.Context, key string) error {
	l.t.Reset(key)
	return nil
}

// WindowCounter counts events per key in fixed windows aligned on the
// clock, in a store every instance shares (db.Store).
type WindowCounter interface {
	// CountInWindow counts one event and returns the count including it.
	CountInWindow(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	// CountSoFar returns the count without counting.
	CountSoFar(ctx context.Context, key string, window time.Duration, now time.Time) (int, error)
	// ResetCount forgets every window of key.
	ResetCount(ctx context.Context, key string) error
}

// NewSharedLimiter keeps the counts in the shared database, so a limit
// holds across every instance serving it. Its windows are fixed, not
// sliding: up to 2n events may pass around a window's end.
func NewSharedLimiter(c WindowCounter) Limiter { return sharedLimiter{c} }

type sharedLimiter struct{ c WindowCounter }

func (l sharedLimiter) Allow(ctx context.Context, key string, n int, period time.Duration, now time.Time) (bool, error) {
	if n <= 0 {
		return true, nil
	}
	// An event over the limit is counted too; it changes nothing, since
	// the count is only compared with n.
	c, err := l.c.CountInWindow(ctx, key, period, now)
	return c <= n, err
}

func (l sharedLimiter) Blocked(ctx context.Context, key string, n int, period time.Duration, now time.Time) (bool, error) {
	if n <= 0 {
		return false, nil
	}
	c, err := l.c.CountSoFar(ctx, key, period, now)
	return c >= n, err
}

func (l sharedLimiter) Reset(ctx context.Context, key string) error {
	return l.c.ResetCount(ctx, key)
}
