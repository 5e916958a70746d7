package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func dbGroupsAll() db.GroupFilter { return db.GroupFilter{Page: db.Page{Page: 1, PerPage: 100}} }

func TestAPITokenAuthentication(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	good := a.token(u)
	past := time.Now().AddDate(0, 0, 2).Format("2006-01-02")
	expiring, tok, err := a.store.IssueToken(t.Context(), u.ID, model.NewTokenInput{Name: "soon", Scopes: []string{"api"}, ExpiresAt: past})
	if err != nil {
		t.Fatal(err)
	}
	revoked := a.token(u)
	rt, _ := a.store.TokenByRaw(t.Context(), revoked)
	if err := a.store.RevokeToken(t.Context(), u.ID, rt.ID); err != nil {
		t.Fatal(err)
	}
	// Expire the token by moving it into the past in the store.
	expiredAt := time.Now().Add(-time.Hour)
	tok.ExpiresAt = &expiredAt
	if err := a.store.SetTokenExpiry(t.Context(), tok.ID, &expiredAt); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, header, value string
		want                int
		body                string
	}{
		{"private token", "PRIVATE-TOKEN", good, 200, `"username":"alice"`},
		{"bearer", "Authorization", "Bearer " + good, 200, `"username":"alice"`},
		{"none", "", "", 401, `"message":"401 Unauthorized"`},
		{"unknown", "PRIVATE-TOKEN", "glpat-nope", 401, `"message":"401 Unauthorized"`},
		{"expired", "PRIVATE-TOKEN", expiring, 401, `"error_description":"Token has expired."`},
		{"revoked", "PRIVATE-TOKEN", revoked, 401, `"error_description":"Token has been revoked."`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(http.MethodGet, "/api/v4/user", "")
			if tc.header != "" {
				req.Header.Set(tc.header, tc.value)
			}
			rec := a.serve(req)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.body) {
				t.Fatalf("got %d %s, want %d with %s", rec.Code, rec.Body, tc.want, tc.body)
			}
		})
	}
}

func TestAPIReadOnlyTokenCannotWrite(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	ro := a.token(u, model.ScopeReadAPI)
	if rec := a.api(http.MethodGet, "/api/v4/groups", ro, nil); rec.Code != 200 {
		t.Fatalf("read: got %d", rec.Code)
	}
	rec := a.api(http.MethodPost, "/api/v4/groups", ro, map[string]any{"name": "Acme", "path": "acme"})
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "insufficient_scope") {
		t.Fatalf("write: got %d %s, want 403 insufficient_scope", rec.Code, rec.Body)
	}
}

func TestAPIGroupsProjectsAndPaths(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	tok := a.token(u)
	var acme, platform struct {
		ID       int64  `json:"id"`
		FullPath string `json:"full_path"`
		ParentID *int64 `json:"parent_id"`
	}
	rec := a.api(http.MethodPost, "/api/v4/groups", tok, map[string]any{"name": "Acme", "path": "acme"})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create group: %d %s", rec.Code, rec.Body)
	}
	decode(t, rec, &acme)
	rec = a.api(http.MethodPost, "/api/v4/groups", tok, map[string]any{"name": "Platform", "path": "platform", "parent_id": acme.ID})
	decode(t, rec, &platform)
	if platform.FullPath != "acme/platform" || platform.ParentID == nil || *platform.ParentID != acme.ID {
		t.Fatalf("subgroup: got %+v", platform)
	}
	rec = a.api(http.MethodPost, "/api/v4/projects", tok, map[string]any{"name": "API", "path": "api", "namespace_id": platform.ID})
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"path_with_namespace":"acme/platform/api"`) {
		t.Fatalf("create project: %d %s", rec.Code, rec.Body)
	}
	if rec := a.api(http.MethodGet, "/api/v4/projects/acme%2Fplatform%2Fapi", tok, nil); rec.Code != 200 {
		t.Fatalf("project by encoded path: %d %s", rec.Code, rec.Body)
	}
	if rec := a.api(http.MethodGet, "/api/v4/groups/acme%2Fplatform", tok, nil); rec.Code != 200 {
		t.Fatalf("group by encoded path: %d %s", rec.Code, rec.Body)
	}
	rec = a.api(http.MethodGet, "/api/v4/groups/"+itoa(acme.ID)+"/subgroups", tok, nil)
	if rec.Code != 200 || rec.Header().Get("X-Total") != "1" || rec.Header().Get("X-Page") != "1" || rec.Header().Get("Link") == "" {
		t.Fatalf("subgroups: %d headers %v", rec.Code, rec.Header())
	}

	for _, tc := range []struct {
		name string
		body map[string]any
		want int
		msg  string
	}{
		{"duplicate path", map[string]any{"name": "Acme", "path": "acme"}, 400, "has already been taken"},
		{"bad path", map[string]any{"name": "Bad", "path": "-bad path"}, 400, "can contain only letters"},
		{"missing", map[string]any{"name": "Only name"}, 400, "path is missing"},
		{"foreign parent", map[string]any{"name": "X", "path": "x", "parent_id": 9999}, 404, "Namespace Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := a.api(http.MethodPost, "/api/v4/groups", tok, tc.body)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.msg) {
				t.Fatalf("got %d %s, want %d with %q", rec.Code, rec.Body, tc.want, tc.msg)
			}
		})
	}
	_, total, _ := a.store.Groups(t.Context(), dbGroupsAll())
	if total != 2 {
		t.Fatalf("got %d groups, want 2: refused requests must store nothing", total)
	}
	other := dbtest.User(t, a.store, "other", false)
	if rec := a.api(http.MethodGet, "/api/v4/projects/acme%2Fplatform%2Fapi", a.token(other), nil); rec.Code != 404 {
		t.Fatalf("stranger: got %d, want 404", rec.Code)
	}
}

func TestAPIUsersAdminOnlyCreate(t *testing.T) {
	a := newTestApp(t)
	admin := dbtest.User(t, a.store, "root", true)
	alice := dbtest.User(t, a.store, "alice", false)
	body := map[string]any{"username": "bob", "email": "bob@example.com", "name": "Bob", "password": "long enough password"}
	if rec := a.api(http.MethodPost, "/api/v4/users", a.token(alice), body); rec.Code != http.StatusForbidden {
		t.Fatalf("non-admin: got %d", rec.Code)
	}
	rec := a.api(http.MethodPost, "/api/v4/users", a.token(admin), body)
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"username":"bob"`) {
		t.Fatalf("admin: %d %s", rec.Code, rec.Body)
	}
	rec = a.api(http.MethodPost, "/api/v4/users", a.token(admin), body)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "has already been taken") {
		t.Fatalf("duplicate: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "password") {
		t.Fatal("response mentions the password")
	}
}

func TestAPIOversizedBodyIsRefused(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	big := strings.Repeat("x", 27<<20)
	req := newRequest(http.MethodPost, "/api/v4/groups", `{"name":"`+big+`","path":"big"}`)
	req.Header.Set("PRIVATE-TOKEN", a.token(u))
	req.Header.Set("Content-Type", "application/json")
	rec := a.serve(req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("got %d, want 413", rec.Code)
	}
	if _, err := a.store.GroupByPath(t.Context(), "big"); err == nil {
		t.Fatal("oversized request stored a group")
	}
}

func TestAPIUnknownRouteIs404JSON(t *testing.T) {
	a := newTestApp(t)
	u := dbtest.User(t, a.store, "alice", false)
	rec := a.api(http.MethodGet, "/api/v4/nothing", a.token(u), nil)
	if rec.Code != 404 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}
