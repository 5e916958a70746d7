package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
)

// GET /users?search= treats the term literally (LIKE wildcards escaped) and
// matches e-mail addresses only whole, unless an administrator searches:
// a user must not be able to guess others' private addresses.
func TestAPIUserSearchEscapesWildcardsAndKeepsEmailsPrivate(t *testing.T) {
	a := newTestApp(t)
	admin := dbtest.User(t, a.store, "root", true)
	alice := dbtest.User(t, a.store, "alice", false)
	dbtest.User(t, a.store, "bob_smith", false)
	dbtest.User(t, a.store, "bobxsmith", false)
	search := func(token, term string) []string {
		t.Helper()
		rec := a.api(http.MethodGet, "/api/v4/users?search="+url.QueryEscape(term), token, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("search %q: got %d %s", term, rec.Code, rec.Body)
		}
		var users []struct{ Username string }
		decode(t, rec, &users)
		var names []string
		for _, u := range users {
			names = append(names, u.Username)
		}
		slices.Sort(names)
		return names
	}
	user, root := a.token(alice), a.token(admin)
	for _, tc := range []struct {
		name, token, term string
		want              []string
	}{
		{"wildcards in a user's search", user, "r_ot@", nil},
		{"wildcards in an admin's search", root, "r_ot@", nil},
		{"a wildcard e-mail", user, "r%@example.com", nil},
		{"part of a private e-mail", user, "root@", nil},
		{"part of an e-mail, by an admin", root, "root@", []string{"root"}},
		{"a whole e-mail", user, "ROOT@example.com", []string{"root"}},
		{"an underscore matches only itself", user, "bob_", []string{"bob_smith"}},
		{"a percent sign matches only itself", user, "%", nil},
		{"a backslash matches only itself", user, `\`, nil},
		{"part of a username", user, "smith", []string{"bob_smith", "bobxsmith"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := search(tc.token, tc.term); !slices.Equal(got, tc.want) {
				t.Fatalf("search %q: got %v, want %v", tc.term, got, tc.want)
			}
		})
	}
}

// Group and project searches treat the term literally too.
func TestAPIGroupAndProjectSearchEscapeWildcards(t *testing.T) {
	a := newTestApp(t)
	admin := dbtest.User(t, a.store, "root", true)
	g := dbtest.Group(t, a.store, "acme", nil, admin)
	dbtest.Project(t, a.store, "api", g)
	token := a.token(admin)
	for _, path := range []string{"/api/v4/groups", "/api/v4/projects"} {
		for term, want := range map[string]string{"%": "[]", "_": "[]", "a": ""} {
			rec := a.api(http.MethodGet, path+"?search="+url.QueryEscape(term), token, nil)
			if got := strings.TrimSpace(rec.Body.String()); rec.Code != http.StatusOK || (want != "" && got != want) || (want == "" && got == "[]") {
				t.Errorf("GET %s?search=%s: got %d %s, want 200 %s", path, term, rec.Code, got, want)
			}
		}
	}
}
