package db_test

import (
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db/dbtest"
)

// Concurrent counts — through two store handles on one database, as two
// instances would — each get a distinct number: none is lost or repeated.
func TestCountInWindowIsAtomicAcrossHandles(t *testing.T) {
	dbtest.EachBackend(t, testCountInWindowIsAtomicAcrossHandles)
}

func testCountInWindowIsAtomicAcrossHandles(t *testing.T) {
	path := dbtest.NewDB(t)
	a := dbtest.OpenAt(t, path, nil)
	b := dbtest.OpenAt(t, path, nil)
	ctx := t.Context()
	now := time.Date(2026, 12, 5, 3, 0, 10, 0, time.UTC)
	const each = 50
	var mu sync.Mutex
	seen := map[int]bool{}
	var wg sync.WaitGroup
	for i := range 8 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				n, err := s.CountInWindow(ctx, "k", time.Minute, now)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[n] {
					t.Errorf("count %d returned twice", n)
				}
				seen[n] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 8*each {
		t.Fatalf("got %d distinct counts, want %d", len(seen), 8*each)
	}
	if n, err := b.CountSoFar(ctx, "k", time.Minute, now); err != nil || n != 8*each {
		t.Fatalf("CountSoFar = %d, %v; want %d", n, err, 8*each)
	}
}

// A new window starts from one; keys are apart; Reset
// forgets a key; Prune drops windows over a day old and keeps current ones.
func TestCountInWindowRollsResetsAndPrunes(t *testing.T) {
	dbtest.EachBackend(t, testCountInWindowRollsResetsAndPrunes)
}

func testCountInWindowRollsResetsAndPrunes(t *testing.T) {
	s := dbtest.Open(t)
	ctx := t.Context()
	t0 := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	count := func(key string, window time.Duration, at time.Time) int {
		t.Helper()
		n, err := s.CountInWindow(ctx, key, window, at)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	soFar := func(key string, window time.Duration, at time.Time) int {
		t.Helper()
		n, err := s.CountSoFar(ctx, key, window, at)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := 1; i <= 3; i++ {
		if n := count("a", time.Minute, t0.Add(time.Duration(i)*10*time.Second)); n != i {
			t.Fatalf("count %d in the window = %d", i, n)
		}
	}
	if n := soFar("a", time.Minute, t0.Add(59*time.Second)); n != 3 {
		t.Fatalf("so far = %d, want 3", n)
	}
	if n := count("a", time.Minute, t0.Add(time.Minute)); n != 1 {
		t.Fatalf("first count of the next window = %d, want 1", n)
	}
	if n := count("b", time.Minute, t0); n != 1 {
		t.Fatalf("another key = %d, want 1", n)
	}
	if err := s.ResetCount(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if n := soFar("a", time.Minute, t0.Add(time.Minute)); n != 0 {
		t.Fatalf("after reset = %d, want 0", n)
	}
	if n := soFar("b", time.Minute, t0); n != 1 {
		t.Fatalf("reset of a touched b: %d", n)
	}
	if _, err := s.CountInWindow(ctx, "c", 48*time.Hour, t0); err == nil {
		t.Fatal("a window over a day was taken")
	}

	later := t0.Add(25 * time.Hour)
	count("b", time.Minute, later)
	if _, err := s.Prune(ctx, later, 30); err != nil {
		t.Fatal(err)
	}
	if n := soFar("b", time.Minute, t0); n != 0 {
		t.Fatalf("a window over a day old survived the prune: %d", n)
	}
	if n := soFar("b", time.Minute, later); n != 1 {
		t.Fatalf("the current window was pruned: %d", n)
	}
}
