package db_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// A tenant's regex branch filters cost other tenants' publishing nothing
// that grows with them: a saved filter is compiled once however many
// pushes it sees, and a pattern over the cap (one stored before it
// existed) is never compiled and matches nothing.
func TestPublishCompilesBranchFiltersOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	s := dbtest.OpenAt(t, path, nil)
	g := dbtest.Group(t, s, "acme", nil, nil)
	a := dbtest.Project(t, s, "a", g)
	b := dbtest.Project(t, s, "b", g)
	filtered := func(p *model.Project, pattern string) *model.Hook {
		h := projectHook(t, s, p, "https://hooks.example.com/"+p.Path)
		h.BranchFilterStrategy, h.PushEventsBranchFilter = model.BranchFilterRegex, &pattern
		if err := s.UpdateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	release := filtered(a, `^release/`+t.Name())
	long := projectHook(t, s, a, "https://hooks.example.com/long")
	plain := projectHook(t, s, b, "https://hooks.example.com/b")

	// The API refuses the long pattern; write it as an old row would be.
	longPattern := strings.Repeat("(a|b)", 400_000)
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE hooks SET branch_filter_strategy = 'regex', push_events_branch_filter = ? WHERE id = ?`, longPattern, long.ID); err != nil {
		t.Fatal(err)
	}

	push := func(p *model.Project, branch string) db.Publication {
		body := `{"object_kind":"push","ref":"refs/heads/` + branch + `"}`
		ev, err := model.ParseEvent([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: []byte(body), FireHooks: true}}}
	}
	before := model.BranchRegexCompiles()
	for i := 0; i < 3; i++ {
		_, created, errs, err := s.PublishBatch(ctx, []db.Publication{
			push(a, "main"), push(b, "main"), push(a, "release/"+t.Name()),
		}, db.PublishOptions{})
		if err != nil || errors.Join(errs...) != nil {
			t.Fatal(err, errs)
		}
		got := map[int64]int{}
		for _, d := range created {
			got[d.HookID]++
		}
		if len(created) != 2 || got[plain.ID] != 1 || got[release.ID] != 1 {
			t.Fatalf("round %d: deliveries %v, want one to %d (no filter) and one to %d (release push)", i, got, plain.ID, release.ID)
		}
	}
	if n := model.BranchRegexCompiles() - before; n != 1 {
		t.Errorf("%d regex compiles over three publishes, want 1 (the saved filter, once; the long one never)", n)
	}

	// A publisher can decide its own filters before joining a group
	// commit; PublishBatch then takes those decisions as they are.
	pub := push(a, "release/"+t.Name())
	if err := s.DecideBranchFilters(ctx, &pub); err != nil {
		t.Fatal(err)
	}
	if len(pub.Branches) != 2 {
		t.Fatalf("decisions %v, want the two filters of project a", pub.Branches)
	}
	for k := range pub.Branches {
		pub.Branches[k] = false
	}
	_, created, _, err := s.PublishBatch(ctx, []db.Publication{pub}, db.PublishOptions{})
	if err != nil || len(created) != 0 {
		t.Fatalf("with every filter decided against: %d deliveries (%v)", len(created), err)
	}
}

// Branch filters read before the publish transaction are kept in memory
// for a moment, and that never changes an answer: a change through the
// same store applies to the very next publish, and a change made by
// another process while the old filters are still in memory is decided in
// the transaction, from the hook as it is.
func TestBranchFilterChangesApplyToTheNextPublish(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	s := dbtest.OpenAt(t, path, nil)
	other := dbtest.OpenAt(t, path, nil) // another process on the same database
	g := dbtest.Group(t, s, "acme", nil, nil)
	p := dbtest.Project(t, s, "api", g)
	h := projectHook(t, s, p, "https://hooks.example.com/api")
	setFilter := func(st *db.Store, pattern string) {
		t.Helper()
		cur, err := st.Hook(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		cur.BranchFilterStrategy, cur.PushEventsBranchFilter = model.BranchFilterWildcard, &pattern
		if err := st.UpdateHook(ctx, cur); err != nil {
			t.Fatal(err)
		}
	}
	fires := func(branch string) bool {
		t.Helper()
		body := `{"object_kind":"push","ref":"refs/heads/` + branch + `"}`
		ev, err := model.ParseEvent([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		pub := db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: []byte(body), FireHooks: true}}}
		if err := s.DecideBranchFilters(ctx, &pub); err != nil {
			t.Fatal(err)
		}
		_, created, errs, err := s.PublishBatch(ctx, []db.Publication{pub}, db.PublishOptions{})
		if err != nil || errors.Join(errs...) != nil {
			t.Fatal(err, errs)
		}
		return len(created) == 1
	}
	setFilter(s, "main")
	if !fires("main") || fires("release/1") {
		t.Fatal("filter main: want main only")
	}
	setFilter(s, "release/*") // through this store: at once
	if fires("main") || !fires("release/1") {
		t.Fatal("filter release/* set through the same store: want release/1 only, at once")
	}
	setFilter(other, "main") // by another process, while release/* is in memory
	if !fires("main") || fires("release/1") {
		t.Fatal("filter main set by another process: want main only, at once")
	}
}

// A store that has changed no hook since it opened (a restarted server)
// decides branch filters like any other.
func TestBranchFiltersDecidedByAFreshStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	s := dbtest.OpenAt(t, path, nil)
	g := dbtest.Group(t, s, "acme", nil, nil)
	p := dbtest.Project(t, s, "api", g)
	projectHook(t, s, p, "https://hooks.example.com/api")
	fresh := dbtest.OpenAt(t, path, nil)
	ev, err := model.ParseEvent([]byte(`{"object_kind":"push","ref":"refs/heads/main"}`))
	if err != nil {
		t.Fatal(err)
	}
	pub := db.Publication{ProjectID: p.ID, Events: []db.PublishEvent{{Event: ev, Payload: ev.Raw, FireHooks: true}}}
	if err := fresh.DecideBranchFilters(ctx, &pub); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Publish(ctx, pub); err != nil {
		t.Fatal(err)
	}
}
