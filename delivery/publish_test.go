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
	for g := 0; g < publishers; g++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				if _, err := e.engine.pub.Publish(context.Background(), e.project.ID, 0, []*model.Event{ev}, ""); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if most := e.engine.pub.mostByACall.Load(); most != 1 {
		t.Fatalf("a publish call made %d group commits, want 1: its own batch", most)
	}
	if n := e.engine.pub.commits.Load(); n >= publishers*each {
		t.Fatalf("%d commits for %d calls: the calls did not commit together", n, publishers*each)
	}
}
