package db_test

import (
	"context"
	"testing"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// BenchmarkDecideBranchFilters is what each push publish pays, on a
// reader, to decide its hooks' branch filters: a project with five hooks.
func BenchmarkDecideBranchFilters(b *testing.B) {
	s := dbtest.Open(b)
	g := dbtest.Group(b, s, "acme", nil, nil)
	p := dbtest.Project(b, s, "api", g)
	for i := 0; i < 5; i++ {
		h := model.NewHook(model.ProjectHookKind)
		h.URL, h.ProjectID = "http://127.0.0.1:9/hook", &p.ID
		if i%2 == 0 {
			h.BranchFilterStrategy, h.PushEventsBranchFilter = model.BranchFilterStrategy("wildcard"), new(string)
			*h.PushEventsBranchFilter = "release/*"
		}
		if err := s.CreateHook(context.Background(), &h); err != nil {
			b.Fatal(err)
		}
	}
	ev, err := model.ParseEvent([]byte(`{"object_kind":"push","ref":"refs/heads/main"}`))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		pub := db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: ev.Raw, FireHooks: true}}}
		if err := s.DecideBranchFilters(context.Background(), &pub); err != nil {
			b.Fatal(err)
		}
	}
}
