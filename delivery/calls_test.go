package delivery

import (
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// With SharedCalls, web_hook_calls holds across two engines on one
// database (two instances): four deliveries to a group limited to three a
// minute send three, whichever engine took them.
func TestEngineSharedCallsLimitHoldsAcrossEngines(t *testing.T) {
	e := newEngineEnv(t)
	e.settings(func(s *model.Settings) { s.WebHookCalls = 3 })
	optA := e.opt
	optA.Calls = SharedCalls(e.store)
	e.engine = NewEngine(e.store, e.sender, optA)

	b := *e
	b.store = dbtest.OpenAt(t, e.path, e.clock.Now)
	optB := e.opt
	optB.Calls = SharedCalls(b.store)
	b.engine = NewEngine(b.store, e.sender, optB)

	rcv := newReceiver(t, nil)
	e.hook(model.ProjectHookKind, nil, rcv.URL, "push_events")
	e.start()
	b.start()
	e.publish(e.push("refs/heads/main"), e.push("refs/heads/main"))
	b.publish(b.push("refs/heads/main"), b.push("refs/heads/main"))
	e.idle()
	if n := len(rcv.requests()); n != 3 {
		t.Fatalf("receiver got %d requests, want 3", n)
	}
	if n := metricCount(e.engine.metrics.rateLimited) + metricCount(b.engine.metrics.rateLimited); n != 1 {
		t.Fatalf("rate limited = %v, want 1", n)
	}
}
