package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

func TestSignInWithUsernameOrEmailAndSignOut(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	for _, login := range []string{"alice", "ALICE", "alice@example.com"} {
		t.Run(login, func(t *testing.T) {
			b := a.browser()
			b.get("/users/sign_in")
			rec := b.postForm("/users/sign_in", url.Values{"login": {login}, "password": {dbtest.Password}})
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
				t.Fatalf("got %d to %q, want 303 to /", rec.Code, rec.Header().Get("Location"))
			}
			if got := doc(t, b.get("/")).Find(`[data-testid=current-user]`).Text(); got != u.Username {
				t.Fatalf("got current user %q, want %q", got, u.Username)
			}
			if rec := b.postForm("/users/sign_out", nil); rec.Code != http.StatusSeeOther {
				t.Fatalf("sign out: got %d", rec.Code)
			}
			if rec := b.get("/"); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/users/sign_in" {
				t.Fatalf("after sign out: got %d to %q, want a redirect to sign in", rec.Code, rec.Header().Get("Location"))
			}
		})
	}
}

func TestSessionCookieIsHttpOnlyAndLax(t *testing.T) {
	a := newTestApp(t)
	dbtest.User(t, a.store, "alice", false)
	b := a.browser()
	b.get("/users/sign_in")
	rec := b.postForm("/users/sign_in", url.Values{"login": {"alice"}, "password": {dbtest.Password}})
	var found bool
	for _, c := range rec.Result().Cookies() {
		if c.Name == "_hooklab_session" {
			found = true
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Fatalf("got cookie %+v, want HttpOnly and SameSite=Lax", c)
			}
		}
	}
	if !found {
		t.Fatal("no session cookie set")
	}
}

func TestBlockedUserCannotSignIn(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	if err := a.store.SetUserState(t.Context(), u.ID, model.UserBlocked); err != nil {
		t.Fatal(err)
	}
	b := a.browser()
	b.get("/users/sign_in")
	rec := b.postForm("/users/sign_in", url.Values{"login": {"alice"}, "password": {dbtest.Password}})
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "blocked") {
		t.Fatalf("got %d, want 403 blocked", rec.Code)
	}
}

func TestFormsWithoutCSRFTokenAreRefusedAndChangeNothing(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	b := a.signedIn(u)
	rec := b.postForm("/groups", url.Values{"name": {"Acme"}, "path": {"acme"}, "authenticity_token": {"forged"}})
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "CSRF") {
		t.Fatalf("got %d, want 403 naming the CSRF token", rec.Code)
	}
	if _, err := a.store.GroupByPath(t.Context(), "acme"); err == nil {
		t.Fatal("the group was created without a CSRF token")
	}
}

func TestProjectsOfOthersAre404(t *testing.T) {
	a := newTestApp(t)
	owner := dbtest.User(t, a.store, "owner", false)
	stranger := dbtest.User(t, a.store, "stranger", false)
	g := dbtest.Group(t, a.store, "acme", nil, owner)
	dbtest.Project(t, a.store, "api", g)
	b := a.signedIn(stranger)
	for _, path := range []string{"/acme/api", "/groups/acme", "/acme/nothing-here"} {
		if rec := b.get(path); rec.Code != http.StatusNotFound {
			t.Errorf("%s: got %d, want 404", path, rec.Code)
		}
	}
	if rec := a.signedIn(owner).get("/acme/api"); rec.Code != http.StatusOK {
		t.Errorf("owner: got %d, want 200", rec.Code)
	}
}

func TestCreateGroupAndProjectThroughPages(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	b := a.signedIn(u)
	b.get("/groups/new")
	rec := b.postForm("/groups", url.Values{"name": {"Acme Corp"}, "path": {"acme"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/groups/acme" {
		t.Fatalf("create group: got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	d := doc(t, b.get("/groups/acme"))
	if got := d.Find("[data-testid=flash-notice]").Text(); !strings.Contains(got, "successfully created") {
		t.Errorf("got flash %q", got)
	}
	g, err := a.store.GroupByPath(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	rec = b.postForm("/projects", url.Values{"name": {"API"}, "namespace_id": {itoa(g.ID)}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/acme/api" {
		t.Fatalf("create project: got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	if got := doc(t, b.get("/acme/api")).Find("[data-testid=project-path]").Text(); got != "acme/api" {
		t.Errorf("got project path %q", got)
	}

	for _, tc := range []struct {
		name, path, field, message string
	}{
		{"Acme", "acme", "path", "The path is already taken: choose another."},
		{"Bad", "bad path!", "path", "can contain only letters"},
		{"", "x", "name", "Enter the name."},
		{"Admin", "admin", "path", "The path is reserved for Hooklab's own pages: choose another."},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := b.postForm("/groups", url.Values{"name": {tc.name}, "path": {tc.path}})
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("got %d, want 422", rec.Code)
			}
			got := doc(t, rec).Find("[data-testid=field-error]").Text()
			if !strings.Contains(got, tc.message) {
				t.Fatalf("got errors %q, want %q", got, tc.message)
			}
		})
	}
	_, total, _ := a.store.Groups(t.Context(), dbGroupsAll())
	if total != 1 {
		t.Fatalf("got %d groups after refused forms, want 1", total)
	}
}

// Only page navigations are remembered as the place to return to after
// signing in: the browser's favicon request, images and htmx fragments that
// arrive while the sign-in page is shown must not replace it.
func TestSignInReturnsToThePageNotToItsAssets(t *testing.T) {
	a := newTestApp(t)
	dbtest.User(t, a.store, "alice", false)
	b := a.browser()
	page := httptest.NewRequest(http.MethodGet, "/-/profile/notifications", nil)
	page.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	page.Header.Set("Sec-Fetch-Dest", "document")
	if rec := b.do(page); rec.Code != http.StatusSeeOther {
		t.Fatalf("deep link: got %d, want a redirect to sign in", rec.Code)
	}
	b.get("/users/sign_in")
	favicon := httptest.NewRequest(http.MethodGet, "/favicon.ico", nil)
	favicon.Header.Set("Accept", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8")
	if rec := b.do(favicon); rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("favicon: got %d %q, want 200 image/svg+xml", rec.Code, rec.Header().Get("Content-Type"))
	}
	img := httptest.NewRequest(http.MethodGet, "/acme/logo.png", nil)
	img.Header.Set("Accept", "image/*,*/*;q=0.8")
	img.Header.Set("Sec-Fetch-Dest", "image")
	b.do(img)
	b.getHTMX("/-/profile")
	iframe := httptest.NewRequest(http.MethodGet, "/admin", nil)
	iframe.Header.Set("Accept", "text/html")
	iframe.Header.Set("Sec-Fetch-Dest", "iframe")
	b.do(iframe)
	rec := b.postForm("/users/sign_in", url.Values{"login": {"alice"}, "password": {dbtest.Password}})
	if got := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || got != "/-/profile/notifications" {
		t.Fatalf("sign in: got %d to %q, want 303 to the deep link", rec.Code, got)
	}
}
