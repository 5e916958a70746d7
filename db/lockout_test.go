package db_test

import (
	"sync"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// Concurrent failed sign-ins lock the account exactly once, at the 10th:
// no guess slips past the count, and the lock notice goes out once.
func TestRecordFailedSignInLocksOnceUnderConcurrency(t *testing.T) {
	s := dbtest.Open(t)
	u := dbtest.User(t, s, "alice", false)
	var wg sync.WaitGroup
	var mu sync.Mutex
	locks := 0
	for range 25 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			locked, err := s.RecordFailedSignIn(t.Context(), u.ID)
			if err != nil {
				t.Error(err)
			}
			if locked {
				mu.Lock()
				locks++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	got, err := s.User(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if locks != 1 || got.FailedAttempts != model.MaxFailedSignIns || !got.Locked(s.Now()) {
		t.Fatalf("got %d locks, %d attempts, locked %v; want 1, %d, true", locks, got.FailedAttempts, got.Locked(s.Now()), model.MaxFailedSignIns)
	}
	if err := s.UnlockUser(t.Context(), u.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.User(t.Context(), u.ID); got.FailedAttempts != 0 || got.LockedAt != nil {
		t.Fatalf("after unlock: %d attempts, locked at %v", got.FailedAttempts, got.LockedAt)
	}
}
