package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// notificationFixture is alice, owner of acme with subgroup acme/platform
// and project acme/platform/api, and bob, a stranger with a project of his
// own.
type notificationFixture struct {
	a                *testApp
	alice, bob       *model.User
	tok, bobTok      string
	acme, platform   *model.Group
	api, bobsProject *model.Project
}

func newNotificationFixture(t *testing.T) *notificationFixture {
	t.Helper()
	a := newTestApp(t)
	f := &notificationFixture{a: a}
	f.alice = dbtest.User(t, a.store, "alice", false)
	f.bob = dbtest.User(t, a.store, "bob", false)
	f.tok, f.bobTok = a.token(f.alice), a.token(f.bob)
	f.acme = dbtest.Group(t, a.store, "acme", nil, f.alice)
	f.platform = dbtest.Group(t, a.store, "platform", f.acme, nil)
	f.api = dbtest.Project(t, a.store, "api", f.platform)
	bobs := dbtest.Group(t, a.store, "bobs", nil, f.bob)
	f.bobsProject = dbtest.Project(t, a.store, "secret", bobs)
	return f
}

// apiForm calls the API with parameters in a form body (and/or the query
// string in path), as curl users do.
func (a *testApp) apiForm(method, path, token string, form url.Values) *httptest.ResponseRecorder {
	a.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("PRIVATE-TOKEN", token)
	}
	return a.serve(req)
}

// confirmedEmail gives u a verified secondary address.
func confirmedEmail(t *testing.T, a *testApp, u *model.User, email string) {
	t.Helper()
	if _, err := a.store.AddEmail(context.Background(), u.ID, email, "tok-"+email); err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.ConfirmEmail(context.Background(), "tok-"+email); err != nil {
		t.Fatal(err)
	}
}

func wantJSON(t *testing.T, rec *httptest.ResponseRecorder, status int, body string) {
	t.Helper()
	if rec.Code != status || strings.TrimSpace(rec.Body.String()) != body {
		t.Fatalf("got %d %s\nwant %d %s", rec.Code, strings.TrimSpace(rec.Body.String()), status, body)
	}
}

// eventsJSON is the expected "events" object: every event of the source in
// GitLab's order, null unless set.
func eventsJSON(source string, set map[model.NotificationEvent]string) string {
	parts := []string{}
	for _, e := range model.NotificationEventsFor(source) {
		v := "null"
		if s, ok := set[e]; ok {
			v = s
		}
		parts = append(parts, `"`+string(e)+`":`+v)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func TestAPIGlobalNotificationSettings(t *testing.T) {
	f := newNotificationFixture(t)
	a := f.a
	wantJSON(t, a.api(http.MethodGet, "/api/v4/notification_settings", f.tok, nil), 200,
		`{"level":"participating","notification_email":"alice@example.com"}`)

	// Query string, as in GitLab's example.
	wantJSON(t, a.api(http.MethodPut, "/api/v4/notification_settings?level=watch", f.tok, nil), 200,
		`{"level":"watch","notification_email":"alice@example.com"}`)
	wantJSON(t, a.api(http.MethodGet, "/api/v4/notification_settings", f.tok, nil), 200,
		`{"level":"watch","notification_email":"alice@example.com"}`)

	confirmedEmail(t, a, f.alice, "alice.work@example.org")
	if _, err := a.store.AddEmail(context.Background(), f.alice.ID, "unconfirmed@example.org", "tok-unconfirmed"); err != nil {
		t.Fatal(err)
	}
	bad := `{"message":{"notification_email":["must be an email you have verified"]}}`
	for _, tc := range []struct {
		name   string
		rec    func() *httptest.ResponseRecorder
		status int
		body   string
	}{
		{"verified secondary, form body", func() *httptest.ResponseRecorder {
			return a.apiForm(http.MethodPut, "/api/v4/notification_settings", f.tok, url.Values{"notification_email": {"alice.work@example.org"}})
		}, 200, `{"level":"watch","notification_email":"alice.work@example.org"}`},
		{"unconfirmed secondary", func() *httptest.ResponseRecorder {
			return a.api(http.MethodPut, "/api/v4/notification_settings", f.tok, map[string]any{"notification_email": "unconfirmed@example.org", "level": "mention"})
		}, 400, bad},
		{"someone else's address", func() *httptest.ResponseRecorder {
			return a.api(http.MethodPut, "/api/v4/notification_settings", f.tok, map[string]any{"notification_email": "bob@example.com"})
		}, 400, bad},
		{"null leaves it", func() *httptest.ResponseRecorder {
			return a.api(http.MethodPut, "/api/v4/notification_settings", f.tok, map[string]any{"notification_email": nil})
		}, 200, `{"level":"watch","notification_email":"alice.work@example.org"}`},
		{"case-insensitive match", func() *httptest.ResponseRecorder {
			return a.api(http.MethodPut, "/api/v4/notification_settings", f.tok, map[string]any{"notification_email": "ALICE.WORK@example.org"})
		}, 200, `{"level":"watch","notification_email":"alice.work@example.org"}`},
		{"blank goes back to the primary", func() *httptest.ResponseRecorder {
			return a.api(http.MethodPut, "/api/v4/notification_settings", f.tok, map[string]any{"notification_email": ""})
		}, 200, `{"level":"watch","notification_email":"alice@example.com"}`},
		{"global is not a global level", func() *httptest.ResponseRecorder {
			return a.api(http.MethodPut, "/api/v4/notification_settings?level=global", f.tok, nil)
		}, 400, `{"message":"'global' is not a valid level. Valid levels are: disabled, participating, watch, mention, custom"}`},
	} {
		t.Run(tc.name, func(t *testing.T) { wantJSON(t, tc.rec(), tc.status, tc.body) })
	}
	// The refused requests changed nothing (the "mention" beside the bad
	// e-mail included).
	wantJSON(t, a.api(http.MethodGet, "/api/v4/notification_settings", f.tok, nil), 200,
		`{"level":"watch","notification_email":"alice@example.com"}`)

	// Custom globally: events appear, new_epic included.
	wantJSON(t, a.api(http.MethodPut, "/api/v4/notification_settings", f.tok, map[string]any{"level": "custom", "new_epic": true, "failed_pipeline": false}), 200,
		`{"level":"custom","events":`+eventsJSON(model.SourceGlobal, map[model.NotificationEvent]string{model.NotifyNewEpic: "true", model.NotifyFailedPipeline: "false"})+`,"notification_email":"alice@example.com"}`)
}

// Every level for every kind of setting, by query string, form and JSON.
func TestAPINotificationLevels(t *testing.T) {
	f := newNotificationFixture(t)
	a := f.a
	for _, target := range []struct {
		name, path string
		levels     []model.NotificationLevel
	}{
		{"global", "/api/v4/notification_settings", model.NotificationLevelsFor(model.SourceGlobal)},
		{"group", "/api/v4/groups/" + itoa(f.acme.ID) + "/notification_settings", model.NotificationLevels},
		{"subgroup by path", "/api/v4/groups/acme%2Fplatform/notification_settings", model.NotificationLevels},
		{"project", "/api/v4/projects/" + itoa(f.api.ID) + "/notification_settings", model.NotificationLevels},
		{"project by path", "/api/v4/projects/acme%2Fplatform%2Fapi/notification_settings", model.NotificationLevels},
	} {
		for i, l := range target.levels {
			t.Run(target.name+"/"+l.String(), func(t *testing.T) {
				var rec *httptest.ResponseRecorder
				switch i % 3 {
				case 0:
					rec = a.api(http.MethodPut, target.path+"?level="+l.String(), f.tok, nil)
				case 1:
					rec = a.apiForm(http.MethodPut, target.path, f.tok, url.Values{"level": {l.String()}})
				default:
					rec = a.api(http.MethodPut, target.path, f.tok, map[string]any{"level": l.String()})
				}
				var got map[string]any
				decode(t, rec, &got)
				if rec.Code != 200 || got["level"] != l.String() {
					t.Fatalf("put: got %d %s, want level %s", rec.Code, rec.Body, l)
				}
				_, hasEvents := got["events"]
				if hasEvents != (l == model.NotificationCustom) {
					t.Fatalf("got events present=%v for %s; events belong to custom only", hasEvents, l)
				}
				decode(t, a.api(http.MethodGet, target.path, f.tok, nil), &got)
				if got["level"] != l.String() {
					t.Fatalf("get: got %v, want %s", got["level"], l)
				}
			})
		}
	}
	// Group and project responses are the level alone (plus events).
	wantJSON(t, a.api(http.MethodPut, "/api/v4/groups/"+itoa(f.acme.ID)+"/notification_settings?level=watch", f.tok, nil), 200, `{"level":"watch"}`)
	wantJSON(t, a.api(http.MethodGet, "/api/v4/groups/"+itoa(f.platform.ID)+"/notification_settings", f.bobTok, nil), 404, `{"message":"404 Group Not Found"}`)
}

func TestAPINotificationLevelErrors(t *testing.T) {
	f := newNotificationFixture(t)
	a := f.a
	path := "/api/v4/projects/" + itoa(f.api.ID) + "/notification_settings"
	wantJSON(t, a.api(http.MethodPut, path+"?level=watch", f.tok, nil), 200, `{"level":"watch"}`)
	for _, tc := range []struct {
		name   string
		rec    func() *httptest.ResponseRecorder
		status int
		body   string
	}{
		{"unknown level", func() *httptest.ResponseRecorder { return a.api(http.MethodPut, path+"?level=invalid", f.tok, nil) },
			400, `{"message":"'invalid' is not a valid level. Valid levels are: disabled, participating, watch, global, mention, custom"}`},
		{"unknown level with events", func() *httptest.ResponseRecorder {
			return a.api(http.MethodPut, path, f.tok, map[string]any{"level": "Loud", "new_note": true})
		}, 400, `{"message":"'Loud' is not a valid level. Valid levels are: disabled, participating, watch, global, mention, custom"}`},
		{"blank level", func() *httptest.ResponseRecorder {
			return a.apiForm(http.MethodPut, path, f.tok, url.Values{"level": {""}})
		}, 400, `{"message":{"level":["can't be blank"]}}`},
		{"null level", func() *httptest.ResponseRecorder {
			return a.api(http.MethodPut, path, f.tok, map[string]any{"level": nil})
		}, 400, `{"message":{"level":["can't be blank"]}}`},
		{"event not a boolean", func() *httptest.ResponseRecorder {
			return a.api(http.MethodPut, path+"?level=custom&new_note=maybe", f.tok, nil)
		}, 400, `{"error":"new_note is invalid"}`},
	} {
		t.Run(tc.name, func(t *testing.T) { wantJSON(t, tc.rec(), tc.status, tc.body) })
	}
	wantJSON(t, a.api(http.MethodGet, path, f.tok, nil), 200, `{"level":"watch"}`)
}

// Every event, on, off and back to null, for a project and a group.
func TestAPINotificationEvents(t *testing.T) {
	f := newNotificationFixture(t)
	a := f.a
	for _, target := range []struct {
		name, source, path string
		id                 int64
	}{
		{"project", model.SourceProject, "/api/v4/projects/" + itoa(f.api.ID) + "/notification_settings", f.api.ID},
		{"group", model.SourceGroup, "/api/v4/groups/" + itoa(f.platform.ID) + "/notification_settings", f.platform.ID},
	} {
		set := map[model.NotificationEvent]string{}
		wantJSON(t, a.api(http.MethodPut, target.path+"?level=custom", f.tok, nil), 200,
			`{"level":"custom","events":`+eventsJSON(target.source, set)+`}`)
		for i, e := range model.NotificationEventsFor(target.source) {
			t.Run(target.name+"/"+string(e), func(t *testing.T) {
				// on, by query string, form or JSON
				var rec *httptest.ResponseRecorder
				switch i % 3 {
				case 0:
					rec = a.api(http.MethodPut, target.path+"?"+string(e)+"=true", f.tok, nil)
				case 1:
					rec = a.apiForm(http.MethodPut, target.path, f.tok, url.Values{string(e): {"1"}})
				default:
					rec = a.api(http.MethodPut, target.path, f.tok, map[string]any{string(e): true})
				}
				set[e] = "true"
				wantJSON(t, rec, 200, `{"level":"custom","events":`+eventsJSON(target.source, set)+`}`)
				// off
				set[e] = "false"
				wantJSON(t, a.api(http.MethodPut, target.path, f.tok, map[string]any{string(e): false}), 200,
					`{"level":"custom","events":`+eventsJSON(target.source, set)+`}`)
				// back to null: JSON null or an empty value
				delete(set, e)
				if i%2 == 0 {
					rec = a.api(http.MethodPut, target.path, f.tok, map[string]any{string(e): nil})
				} else {
					rec = a.apiForm(http.MethodPut, target.path, f.tok, url.Values{string(e): {""}})
				}
				wantJSON(t, rec, 200, `{"level":"custom","events":`+eventsJSON(target.source, set)+`}`)
				// left on for the next round, so several are set at once
				set[e] = "true"
				wantJSON(t, a.api(http.MethodPut, target.path, f.tok, map[string]any{string(e): true}), 200,
					`{"level":"custom","events":`+eventsJSON(target.source, set)+`}`)
			})
		}
		st, err := a.store.NotificationSetting(context.Background(), f.alice.ID, target.source, target.id)
		if err != nil || st.Level != model.NotificationCustom || !st.EventEnabled(model.NotifyNewNote) {
			t.Fatalf("%s stored: %+v, %v", target.name, st, err)
		}
	}
}

// GitLab's documented example: a project set to custom with new_note on; a
// null failed_pipeline stays null in the response (it counts as on).
func TestAPINotificationSeedExamples(t *testing.T) {
	f := newNotificationFixture(t)
	a := f.a
	proj := "/api/v4/projects/" + itoa(f.api.ID) + "/notification_settings"
	wantJSON(t, a.api(http.MethodPut, proj+"?level=custom&new_note=true", f.tok, nil), 200,
		`{"level":"custom","events":`+eventsJSON(model.SourceProject, map[model.NotificationEvent]string{model.NotifyNewNote: "true"})+`}`)
	st, err := a.store.NotificationSetting(context.Background(), f.alice.ID, model.SourceProject, f.api.ID)
	if err != nil || !st.EventEnabled(model.NotifyFailedPipeline) || !st.EventEnabled(model.NotifyFixedPipeline) || st.EventEnabled(model.NotifyNewIssue) {
		t.Fatalf("null semantics: got %+v, %v", st, err)
	}
	grp := "/api/v4/groups/" + itoa(f.acme.ID) + "/notification_settings"
	wantJSON(t, a.api(http.MethodPut, grp, f.tok, map[string]any{"level": "custom", "moved_project": true, "merge_when_pipeline_succeeds": false}), 200,
		`{"level":"custom","events":`+eventsJSON(model.SourceGroup, map[model.NotificationEvent]string{model.NotifyMovedProject: "true", model.NotifyMergeWhenPipelineSucceeds: "false"})+`}`)
	if !strings.Contains(eventsJSON(model.SourceGroup, nil), `"new_epic":null`) || strings.Contains(eventsJSON(model.SourceProject, nil), "new_epic") {
		t.Fatal("new_epic belongs to groups and global only")
	}
}

func TestAPINotificationUnknownParamsIgnored(t *testing.T) {
	f := newNotificationFixture(t)
	a := f.a
	proj := "/api/v4/projects/" + itoa(f.api.ID) + "/notification_settings"
	wantJSON(t, a.api(http.MethodPut, proj, f.tok, map[string]any{"level": "custom", "colour": "blue", "new_epic": true, "notification_email": "x@example.com", "new_note": true}), 200,
		`{"level":"custom","events":`+eventsJSON(model.SourceProject, map[model.NotificationEvent]string{model.NotifyNewNote: "true"})+`}`)
	wantJSON(t, a.apiForm(http.MethodPut, "/api/v4/notification_settings?whatever=1", f.tok, url.Values{"level": {"mention"}, "id": {"99"}}), 200,
		`{"level":"mention","notification_email":"alice@example.com"}`)
	st, _ := a.store.NotificationSetting(context.Background(), f.alice.ID, model.SourceProject, f.api.ID)
	if st.Event(model.NotifyNewEpic) != nil {
		t.Fatal("new_epic was stored on a project")
	}
}

func TestAPINotificationAccess(t *testing.T) {
	f := newNotificationFixture(t)
	a := f.a
	foreign := "/api/v4/projects/" + itoa(f.bobsProject.ID) + "/notification_settings"
	for _, tc := range []struct {
		name, method, path, token string
		status                    int
		body                      string
	}{
		{"foreign project get", http.MethodGet, foreign, f.tok, 404, `{"message":"404 Project Not Found"}`},
		{"foreign project put", http.MethodPut, foreign + "?level=watch", f.tok, 404, `{"message":"404 Project Not Found"}`},
		{"foreign project by path", http.MethodGet, "/api/v4/projects/bobs%2Fsecret/notification_settings", f.tok, 404, `{"message":"404 Project Not Found"}`},
		{"missing project", http.MethodGet, "/api/v4/projects/9999/notification_settings", f.tok, 404, `{"message":"404 Project Not Found"}`},
		{"foreign group", http.MethodPut, "/api/v4/groups/bobs/notification_settings?level=watch", f.tok, 404, `{"message":"404 Group Not Found"}`},
		{"no token", http.MethodGet, "/api/v4/notification_settings", "", 401, `{"message":"401 Unauthorized"}`},
		{"owner gets own", http.MethodGet, foreign, f.bobTok, 200, `{"level":"global"}`},
	} {
		t.Run(tc.name, func(t *testing.T) { wantJSON(t, a.api(tc.method, tc.path, tc.token, nil), tc.status, tc.body) })
	}
	// Bob's own settings did not move.
	st, _ := a.store.NotificationSetting(context.Background(), f.bob.ID, model.SourceProject, f.bobsProject.ID)
	if st.Level != model.NotificationGlobal {
		t.Fatalf("got %v", st.Level)
	}
	// A read-only token reads but cannot change.
	ro := a.token(f.alice, model.ScopeReadAPI)
	if rec := a.api(http.MethodGet, "/api/v4/notification_settings", ro, nil); rec.Code != 200 {
		t.Fatalf("read_api get: %d", rec.Code)
	}
	if rec := a.api(http.MethodPut, "/api/v4/notification_settings?level=watch", ro, nil); rec.Code != 403 {
		t.Fatalf("read_api put: got %d, want 403", rec.Code)
	}
}

// The API's settings cascade as the README describes, seen through the store's
// effective-level function.
func TestAPINotificationCascade(t *testing.T) {
	f := newNotificationFixture(t)
	a := f.a
	effective := func() model.NotificationLevel {
		t.Helper()
		st, err := a.store.EffectiveNotificationSetting(context.Background(), f.alice.ID, model.SourceProject, f.api.ID)
		if err != nil {
			t.Fatal(err)
		}
		return st.Level
	}
	put := func(path, level string) {
		t.Helper()
		if rec := a.api(http.MethodPut, path+"?level="+level, f.tok, nil); rec.Code != 200 {
			t.Fatalf("put %s %s: %d %s", path, level, rec.Code, rec.Body)
		}
	}
	global := "/api/v4/notification_settings"
	acme := "/api/v4/groups/" + itoa(f.acme.ID) + "/notification_settings"
	platform := "/api/v4/groups/" + itoa(f.platform.ID) + "/notification_settings"
	proj := "/api/v4/projects/" + itoa(f.api.ID) + "/notification_settings"
	for _, step := range []struct {
		path, level string
		want        model.NotificationLevel
	}{
		{"", "", model.NotificationParticipating},
		{global, "watch", model.NotificationWatch},
		{acme, "disabled", model.NotificationDisabled},
		{platform, "mention", model.NotificationMention},
		{proj, "custom", model.NotificationCustom},
		{proj, "global", model.NotificationMention},
		{platform, "global", model.NotificationDisabled},
		{acme, "global", model.NotificationWatch},
	} {
		if step.path != "" {
			put(step.path, step.level)
		}
		if got := effective(); got != step.want {
			t.Fatalf("after %s=%s: got %v, want %v", step.path, step.level, got, step.want)
		}
	}
}
