package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

func pushEvent(projectID int64) string {
	return `{"object_kind":"push","event_name":"push","before":"95790bf891e76fee5e1747ab589903a6a1f80f22","after":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7","ref":"refs/heads/main","project_id":` +
		itoa(projectID) + `,"project":{"id":` + itoa(projectID) + `},"commits":[]}`
}

func TestAPIPublishEvents(t *testing.T) {
	a := newTestApp(t)
	owner := dbtest.User(t, a.store, "owner", false)
	dev := dbtest.User(t, a.store, "dev", false)
	g := dbtest.Group(t, a.store, "acme", nil, owner)
	p := dbtest.Project(t, a.store, "api", g)
	dbtest.Member(t, a.store, model.SourceProject, p.ID, dev, model.Developer)
	h := model.NewHook(model.ProjectHookKind)
	h.ProjectID, h.URL = &p.ID, "https://hooks.example.com/a"
	if err := a.store.CreateHook(context.Background(), &h); err != nil {
		t.Fatal(err)
	}
	gh := model.NewHook(model.GroupHookKind)
	gh.GroupID, gh.URL, gh.Events = &g.ID, "https://hooks.example.com/g", model.NewTriggerSet("member_events")
	if err := a.store.CreateHook(context.Background(), &gh); err != nil {
		t.Fatal(err)
	}
	tok := a.token(owner)
	path := "/api/v4/projects/acme%2Fapi/hook_events"

	rec := a.raw(http.MethodPost, path, tok, pushEvent(p.ID))
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"deliveries":1`) || !strings.Contains(rec.Body.String(), `"event_uuid":"`) {
		t.Fatalf("publish: %d %s", rec.Code, rec.Body)
	}
	rec = a.raw(http.MethodPost, path, tok, `{"events":[`+pushEvent(p.ID)+`,`+pushEvent(p.ID)+`]}`)
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"deliveries":2`) {
		t.Fatalf("batch: %d %s", rec.Code, rec.Body)
	}
	req := newRequest(http.MethodPost, path, pushEvent(p.ID))
	req.Header.Set("PRIVATE-TOKEN", tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Gitlab-Event-UUID", "2b7c5a9e-7f0e-4a43-9b9c-0c2f1d2e3f40")
	if rec := a.serve(req); rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"event_uuid":"2b7c5a9e-7f0e-4a43-9b9c-0c2f1d2e3f40"`) {
		t.Fatalf("with X-Gitlab-Event-UUID: %d %s", rec.Code, rec.Body)
	}
	member := `{"event_name":"user_add_to_group","group_id":` + itoa(g.ID) + `,"group_path":"acme","user_email":"x@example.com"}`
	if rec := a.raw(http.MethodPost, "/api/v4/groups/acme/hook_events", tok, member); rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), `"deliveries":1`) {
		t.Fatalf("group event: %d %s", rec.Code, rec.Body)
	}
	pending, _ := a.store.PendingDeliveries(context.Background())
	if pending != 5 {
		t.Fatalf("got %d pending deliveries, want 5", pending)
	}

	for _, tc := range []struct {
		name, path, token, body string
		want                    int
		msg                     string
	}{
		{"invalid JSON", path, tok, `{"object_kind":`, 400, "not valid JSON"},
		{"unknown kind", path, tok, `{"object_kind":"launch"}`, 400, "launch"},
		{"not an object", path, tok, `[1,2]`, 400, "JSON object"},
		{"empty batch", path, tok, `{"events":[]}`, 400, "events is empty"},
		{"bad event in a batch", path, tok, `{"events":[` + pushEvent(p.ID) + `,{"object_kind":"nope"}]}`, 400, "events[1]"},
		{"events not an array", path, tok, `{"events":{"object_kind":"push"}}`, 400, "events must be an array"},
		{"not an object in a batch", path, tok, `{"events":[` + pushEvent(p.ID) + `,"push"]}`, 400, "events[1]: event payload must be a JSON object"},
		{"group event for a project", path, tok, member, 400, "group events"},
		{"project event for a group", "/api/v4/groups/acme/hook_events", tok, pushEvent(p.ID), 400, "belong to a project"},
		{"developer", path, a.token(dev), pushEvent(p.ID), 403, "403 Forbidden"},
		{"read-only token", path, a.token(owner, model.ScopeReadAPI), pushEvent(p.ID), 403, "insufficient_scope"},
		{"stranger", path, a.token(dbtest.User(t, a.store, "stranger", false)), pushEvent(p.ID), 404, "Project Not Found"},
		{"no token", path, "", pushEvent(p.ID), 401, "401 Unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := a.raw(http.MethodPost, tc.path, tc.token, tc.body)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.msg) {
				t.Fatalf("got %d %s, want %d with %q", rec.Code, rec.Body, tc.want, tc.msg)
			}
		})
	}
	t.Run("over 25 MiB", func(t *testing.T) {
		big := bytes.Repeat([]byte("x"), 25<<20)
		body := `{"object_kind":"push","ref":"refs/heads/main","padding":"` + string(big) + `"}`
		rec := a.raw(http.MethodPost, path, tok, body)
		if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "25 MiB") {
			t.Fatalf("got %d %s, want 413", rec.Code, rec.Body)
		}
	})
	if after, _ := a.store.PendingDeliveries(context.Background()); after != pending {
		t.Fatalf("refused requests stored deliveries: %d, want %d", after, pending)
	}
}
