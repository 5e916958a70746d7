package handlers_test

import (
	"net/http"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
)

// A deleted hook's ID is never given to a new hook, in any project: a
// delivery of the deleted hook still on the wire must not record its
// outcome under someone else's hook.
func TestHookIDsAreNeverReused(t *testing.T) {
	f := newHookFixture(t)
	other := dbtest.Project(t, f.a.store, "web", f.acme)
	tok := f.a.token(f.maintainer)
	create := func(path string) int64 {
		t.Helper()
		rec := f.a.api(http.MethodPost, path, tok, map[string]any{"url": "https://webhook.example.com/hook"})
		wantStatus(t, rec, http.StatusCreated, `"id":`)
		var h struct{ ID int64 }
		decode(t, rec, &h)
		return h.ID
	}
	create(projectHooksPath(f.api))
	newest := create(projectHooksPath(f.api))
	wantStatus(t, f.a.api(http.MethodDelete, projectHooksPath(f.api, newest), tok, nil), http.StatusNoContent, "")
	if next := create(projectHooksPath(other)); next <= newest {
		t.Fatalf("after deleting hook %d the next hook got ID %d", newest, next)
	}
}
