package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// hugePage overflows page × per_page in 64 bits.
const hugePage = "9223372036854775807"

// A page number past every list's end is an empty page, never a panic: the
// API and the HTML lists clamp it before computing an offset.
func TestHugePageNumberIsAnEmptyPageNotAPanic(t *testing.T) {
	f := newHookFixture(t)
	a := f.a
	token := a.token(f.admin)
	rec := a.api(http.MethodPost, projectHooksPath(f.api), token, map[string]any{"url": "https://public.example.com/hook", "push_events": true})
	wantStatus(t, rec, http.StatusCreated, "")
	var hook struct{ ID int64 }
	decode(t, rec, &hook)
	p := itoa(f.api.ID)
	g := itoa(f.acme.ID)
	for _, path := range []string{
		"/api/v4/users", "/api/v4/groups", "/api/v4/projects", "/api/v4/groups/" + g + "/projects",
		"/api/v4/groups/" + g + "/subgroups", "/api/v4/projects/" + p + "/hooks",
		"/api/v4/projects/" + p + "/members", "/api/v4/projects/" + p + "/members/all",
		"/api/v4/groups/" + g + "/members", "/api/v4/projects/" + p + "/invitations",
		"/api/v4/projects/" + p + "/hooks/" + itoa(hook.ID) + "/events",
	} {
		for _, perPage := range []string{"", "&per_page=20", "&per_page=1"} {
			rec := a.api(http.MethodGet, path+"?page="+hugePage+perPage, token, nil)
			if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "[]" {
				t.Errorf("GET %s?page=%s%s: got %d %s, want 200 []", path, hugePage, perPage, rec.Code, rec.Body)
			}
			if next := rec.Header().Get("X-Next-Page"); next != "" {
				t.Errorf("GET %s: got X-Next-Page %q, want none", path, next)
			}
		}
	}
	b := a.signedIn(f.admin)
	hookBase := "/acme/api/-/hooks/" + itoa(hook.ID)
	for _, path := range []string{
		"/admin/users", "/admin/groups", "/admin/projects", "/admin/mailgun/failures", hookBase + "/edit",
	} {
		rec := b.get(path + "?page=" + hugePage)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s?page=%s: got %d, want 200", path, hugePage, rec.Code)
		}
	}
	// Past the end, not the first page again.
	if n := doc(t, b.get("/admin/users?page="+hugePage)).Find(`[data-testid=user-row]`).Length(); n != 0 {
		t.Errorf("got %d users on a page past the end, want none", n)
	}
	if rec := b.getHTMX(hookBase + "/hook_logs?page=" + hugePage); rec.Code != http.StatusOK {
		t.Errorf("GET hook_logs fragment: got %d, want 200", rec.Code)
	}
	if strings.Contains(a.logs.String(), "panic") {
		t.Errorf("the log shows a panic:\n%s", a.logs)
	}
}
