package db_test

import (
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// A claim reports whether it left due deliveries behind, so the engine
// knows whether room freed later is worth another claim.
func TestClaimDeliveriesReportsWhatItLeftBehind(t *testing.T) {
	s := dbtest.Open(t)
	g := dbtest.Group(t, s, "acme", nil, nil)
	p := dbtest.Project(t, s, "api", g)
	var hooks []int64
	for i := 0; i < 2; i++ {
		h := model.NewHook(model.ProjectHookKind)
		h.URL, h.ProjectID = "http://127.0.0.1:9/hook", &p.ID
		if err := s.CreateHook(ctx, &h); err != nil {
			t.Fatal(err)
		}
		hooks = append(hooks, h.ID)
	}
	publish := func(n int) {
		for i := 0; i < n; i++ {
			ev, err := model.ParseEvent([]byte(`{"object_kind":"push","ref":"refs/heads/main"}`))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Publish(ctx, db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: ev.Raw, FireHooks: true}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish(3) // 6 deliveries, 3 per hook
	now := s.Now()
	lease := now.Add(time.Minute)
	ids := map[int64]bool{}
	claim := func(limit int, room func(int64) int, wantN int, wantMore bool) {
		t.Helper()
		got, more, err := s.ClaimDeliveries(ctx, now, lease, limit, room)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != wantN || more != wantMore {
			t.Fatalf("claimed %d (more %v), want %d (more %v)", len(got), more, wantN, wantMore)
		}
		for _, c := range got {
			if ids[c.ID] {
				t.Fatalf("delivery %d claimed twice", c.ID)
			}
			ids[c.ID] = true
		}
	}
	claim(2, nil, 2, true) // the limit cut it short
	onlyOne := func(hookID int64) int {
		if hookID == hooks[0] {
			return 1
		}
		return 0
	}
	claim(10, onlyOne, 1, true) // a hook's room cut it short
	claim(10, nil, 3, false)    // everything due was taken
	claim(10, nil, 0, false)    // nothing left
}
