package handlers_test

import (
	"database/sql"
	"net/http"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
)

// A maintainer publishes events for their project only: a payload naming
// another project (one they may not see), or for a group another group,
// is refused with a 422 that names the field, and nothing is stored.
func TestPublishRefusesEventsAboutAnotherProjectOrGroup(t *testing.T) {
	a := newTestApp(t)
	owner := dbtest.User(t, a.store, "owner", false)
	g := dbtest.Group(t, a.store, "acme", nil, owner)
	p := dbtest.Project(t, a.store, "api", g)
	other := dbtest.Project(t, a.store, "secret", dbtest.Group(t, a.store, "other", nil, nil))
	tok := a.token(owner)
	projectPath, groupPath := "/api/v4/projects/acme%2Fapi/hook_events", "/api/v4/groups/acme/hook_events"
	push := func(fields string) string {
		return `{"object_kind":"push","ref":"refs/heads/main"` + fields + `,"commits":[]}`
	}
	id, otherID := itoa(p.ID), itoa(other.ID)

	raw, err := sql.Open("sqlite3", "file:"+a.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	events := func() int {
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	for _, tc := range []struct {
		name, path, body string
		want             int
		msg              string
	}{
		{"project_id of another project", projectPath, push(`,"project_id":` + otherID), 422, `project_id does not match the project acme/api`},
		{"project.id of another project", projectPath, push(`,"project_id":` + id + `,"project":{"id":` + otherID + `}`), 422, `project.id does not match`},
		{"path of another project", projectPath, push(`,"project":{"id":` + id + `,"path_with_namespace":"other/secret"}`), 422, `project.path_with_namespace does not match`},
		{"object_attributes.project_id", projectPath, `{"object_kind":"issue","object_attributes":{"id":1,"project_id":` + otherID + `}}`, 422, `object_attributes.project_id does not match`},
		{"a batch names the event", projectPath, `{"events":[` + push(`,"project_id":`+id) + `,` + push(`,"project_id":`+otherID) + `]}`, 422, `events[1]: project_id does not match`},
		{"an ID that is not a number", projectPath, push(`,"project_id":"x"`), 422, `project_id does not match`},
		{"member of another group", groupPath, `{"event_name":"user_add_to_group","group_id":` + itoa(g.ID+1) + `,"group_path":"acme"}`, 422, `group_id does not match the group acme`},
		{"member with another group's path", groupPath, `{"event_name":"user_add_to_group","group_id":` + itoa(g.ID) + `,"group_path":"other"}`, 422, `group_path does not match`},
		{"project created in another group", groupPath, `{"event_name":"project_create","project_id":` + otherID + `,"path_with_namespace":"other/secret"}`, 422, `path_with_namespace does not match`},
		{"subgroup of another group", groupPath, `{"event_name":"subgroup_create","full_path":"other/sub","parent_full_path":"other"}`, 422, `full_path does not match`},
		{"subgroup with another parent ID", groupPath, `{"event_name":"subgroup_create","full_path":"acme/sub","parent_full_path":"acme","parent_group_id":` + itoa(g.ID+1) + `}`, 422, `parent_group_id does not match`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := events()
			rec := a.raw(http.MethodPost, tc.path, tok, tc.body)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.msg) {
				t.Fatalf("got %d %s, want %d with %q", rec.Code, rec.Body, tc.want, tc.msg)
			}
			if after := events(); after != before {
				t.Fatalf("a refused publish stored %d events", after-before)
			}
		})
	}

	// The project's own IDs and path, the group's, and absent fields pass.
	for _, tc := range []struct{ path, body string }{
		{projectPath, push(`,"project_id":` + id + `,"project":{"id":` + id + `,"path_with_namespace":"acme/api"}`)},
		{projectPath, push(``)},
		{projectPath, push(`,"project_id":null`)},
		{groupPath, `{"event_name":"user_add_to_group","group_id":` + itoa(g.ID) + `,"group_path":"acme"}`},
		{groupPath, `{"event_name":"project_create","project_id":` + id + `,"path_with_namespace":"acme/api"}`},
		{groupPath, `{"event_name":"subgroup_create","full_path":"acme/sub","parent_full_path":"acme","parent_group_id":` + itoa(g.ID) + `}`},
	} {
		if rec := a.raw(http.MethodPost, tc.path, tok, tc.body); rec.Code != http.StatusAccepted {
			t.Errorf("%s: got %d %s, want 202", tc.body, rec.Code, rec.Body)
		}
	}
}

// An event with invalid UTF-8 (which encoding/json lets through inside a
// string) is refused with 400, and more than 1,000 events in one request
// with 413; neither stores anything.
func TestPublishRefusesInvalidUTF8AndTooManyEvents(t *testing.T) {
	a := newTestApp(t)
	owner := dbtest.User(t, a.store, "owner", false)
	p := dbtest.Project(t, a.store, "api", dbtest.Group(t, a.store, "acme", nil, owner))
	tok := a.token(owner)
	path := "/api/v4/projects/acme%2Fapi/hook_events"
	raw, err := sql.Open("sqlite3", "file:"+a.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	events := func() int {
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM events`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	batch := func(n int) string {
		return `{"events":[` + strings.TrimSuffix(strings.Repeat(pushEvent(p.ID)+",", n), ",") + `]}`
	}

	for _, tc := range []struct {
		name, body string
		want       int
		msg        string
	}{
		{"invalid UTF-8", `{"object_kind":"push","ref":"refs/heads/main","message":"caf` + "\xe9" + `"}`, 400, "not valid UTF-8"},
		{"1,001 events", batch(1001), 413, "at most 1000 events"},
	} {
		rec := a.raw(http.MethodPost, path, tok, tc.body)
		if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.msg) {
			t.Fatalf("%s: got %d %s, want %d with %q", tc.name, rec.Code, rec.Body, tc.want, tc.msg)
		}
	}
	if n := events(); n != 0 {
		t.Fatalf("refused requests stored %d events", n)
	}
	if rec := a.raw(http.MethodPost, path, tok, batch(1000)); rec.Code != http.StatusAccepted {
		t.Fatalf("1,000 events: got %d %s", rec.Code, rec.Body)
	}
	if rec := a.raw(http.MethodPost, path, tok, `{"object_kind":"push","ref":"refs/heads/main","message":"café"}`); rec.Code != http.StatusAccepted {
		t.Fatalf("valid UTF-8: got %d %s", rec.Code, rec.Body)
	}
}
