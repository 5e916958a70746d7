package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MaxCounterWindow is the longest window CountInWindow takes: counters of
// windows that ended longer ago than this are pruned.
const MaxCounterWindow = 24 * time.Hour

// windowStart is the start of the fixed window holding now. Windows are
// aligned on the clock (UTC), so every instance computes the same one.
func windowStart(window time.Duration, now time.Time) (time.Time, error) {
	if window <= 0 || window > MaxCounterWindow {
		return time.Time{}, fmt.Errorf("rate limit window %v: must be between 0 and %v", window, MaxCounterWindow)
	}
	return now.UTC().Truncate(window), nil
}

// CountInWindow counts one more event for key in the fixed window of the
// given length holding now, and returns the count including it. The
// increment is one statement, so concurrent callers — in this process or
// in another instance on the same database — each get a distinct count.
// A key is always counted with the same window length (its name says what
// it limits, and so how often).
func (s *Store) CountInWindow(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	start, err := windowStart(window, now)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.w.GetContext(ctx, &n, s.w.Rebind(`INSERT INTO rate_limit_counters (key, window_start, count) VALUES (?, ?, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_counters.count + 1
		RETURNING count`), key, start)
	if err != nil {
		return 0, fmt.Errorf("count in window: %w", err)
	}
	return n, nil
}

// CountSoFar is key's count in the window holding now, without counting.
func (s *Store) CountSoFar(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	start, err := windowStart(window, now)
	if err != nil {
		return 0, err
	}
	var n int
	// The writer: a count taken a moment ago by this process must show.
	err = s.w.GetContext(ctx, &n, s.w.Rebind(`SELECT count FROM rate_limit_counters WHERE key = ? AND window_start = ?`), key, start)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count so far: %w", err)
	}
	return n, nil
}

// ResetCount forgets every window of key (a right password clears the
// wrong ones counted before it).
func (s *Store) ResetCount(ctx context.Context, key string) error {
	if _, err := s.w.ExecContext(ctx, s.w.Rebind(`DELETE FROM rate_limit_counters WHERE key = ?`), key); err != nil {
		return fmt.Errorf("reset count: %w", err)
	}
	return nil
}

// pruneCounters deletes the counters of windows that ended long ago.
func (s *Store) pruneCounters(ctx context.Context, now time.Time) error {
	cutoff := now.UTC().Add(-MaxCounterWindow).Truncate(time.Second)
	if _, err := s.w.ExecContext(ctx, s.w.Rebind(`DELETE FROM rate_limit_counters WHERE window_start < ?`), cutoff); err != nil {
		return fmt.Errorf("prune rate limit counters: %w", err)
	}
	return nil
}
