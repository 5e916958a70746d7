package delivery

import (
	"context"
	"sync"
	"testing"

	"github.com/hooklab/hooklab/model"
)

// Under a sustained load of concurrent publishers, each call commits at
// most once — its own batch — and passes the lead on: the group commit
// never makes one caller write everyone else's events while its own
// request waits.
func TestPublishLeaderCommitsOnlyItsOwnBatch(t *testing.T) {
	e := newEngineEnv(t)
	rcv := newReceiver(t, nil)
	e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	ev, err := model.ParseEvent([]byte(e.push("refs/heads/main")))
	if err != nil {
		t.Fatal(err)
	}
	const publishers, each = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	most := int64(0)
	for g := 0; g < publishers; g++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				before := e.engine.pub.commits.Load()
				if _, err := e.engine.pub.Publish(context.Background(), e.project.ID, 0, []*model.Event{ev}, ""); err != nil {
					t.Error(err)
					return
				}
				// Commits that ended while this call waited: the one in
				// progress when it arrived, its own, and at most one more
				// that another leader finished meanwhile.
				waited := e.engine.pub.commits.Load() - before
				mu.Lock()
				most = max(most, waited)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if most > 3 {
		t.Fatalf("a publish call waited for %d group commits, want at most 3", most)
	}
	if n := e.engine.pub.commits.Load(); n >= publishers*each {
		t.Fatalf("%d commits for %d calls: the calls did not commit together", n, publishers*each)
	}
}
