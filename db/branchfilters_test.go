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
