package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// hookReceiver is a webhook receiver on 127.0.0.1 that records what it
// gets and answers with the status set last (200 at first).
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	body   string
	reqs   []*http.Request
	bodies []string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	r := &hookReceiver{status: http.StatusOK}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Clone(context.Background()))
		r.bodies = append(r.bodies, string(b))
		status, body := r.status, r.body
		r.mu.Unlock()
		w.Header().Set("X-Receiver", "yes")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) answer(status int, body string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status, r.body = status, body
}

func (r *hookReceiver) requests() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.reqs...)
}

func (r *hookReceiver) lastBody() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bodies) == 0 {
		return ""
	}
	return r.bodies[len(r.bodies)-1]
}

// runFixture is a project and a group with an owner, local webhook
// requests allowed, and a receiver.
type runFixture struct {
	a       *testApp
	owner   *model.User
	group   *model.Group
	sub     *model.Group
	project *model.Project
	rcv     *hookReceiver
	token   string
}

func newRunFixture(t *testing.T) *runFixture {
	t.Helper()
	return newRunFixtureOn(t, newTestApp(t))
}

// newRunFixtureOn sets the fixture up through app a.
func newRunFixtureOn(t *testing.T, a *testApp) *runFixture {
	t.Helper()
	f := &runFixture{a: a, rcv: newHookReceiver(t)}
	f.owner = dbtest.User(t, a.store, "owner", false)
	f.group = dbtest.Group(t, a.store, "acme", nil, f.owner)
	f.sub = dbtest.Group(t, a.store, "platform", f.group, nil)
	f.project = dbtest.Project(t, a.store, "api", f.sub)
	f.token = a.token(f.owner)
	f.settings(func(st *model.Settings) {
		st.AllowLocalRequestsFromWebHooksAndServices = true
		st.WebHookTestLimit, st.WebHookResendLimit = 0, 0 // unlimited; the rate limit test sets them
	})
	return f
}

func (f *runFixture) settings(fn func(*model.Settings)) {
	f.a.t.Helper()
	st, err := f.a.store.Settings(context.Background())
	if err != nil {
		f.a.t.Fatal(err)
	}
	fn(&st)
	if err := f.a.store.UpdateSettings(context.Background(), st); err != nil {
		f.a.t.Fatal(err)
	}
}

// hook creates a hook of kind to the receiver (path appended).
func (f *runFixture) hook(kind model.HookKind, path string, triggers ...string) *model.Hook {
	f.a.t.Helper()
	h := model.NewHook(kind)
	h.URL = f.rcv.URL + path
	switch kind {
	case model.ProjectHookKind:
		h.ProjectID = &f.project.ID
	case model.GroupHookKind:
		h.GroupID = &f.group.ID
	}
	if len(triggers) > 0 {
		h.Events = model.NewTriggerSet(triggers...)
	}
	if err := f.a.store.CreateHook(context.Background(), &h); err != nil {
		f.a.t.Fatal(err)
	}
	return &h
}

// publishPush publishes a push event for the project (the engine is not
// running, so it is only stored: Test's sample).
func (f *runFixture) publishPush() {
	f.a.t.Helper()
	body := `{"object_kind":"push","event_name":"push","ref":"refs/heads/main","user_email":"jsmith@example.com",` +
		`"project_id":` + itoa(f.project.ID) + `,"project":{"id":` + itoa(f.project.ID) + `},"commits":[]}`
	if rec := f.a.raw(http.MethodPost, "/api/v4/projects/"+itoa(f.project.ID)+"/hook_events", f.token, body); rec.Code != http.StatusAccepted {
		f.a.t.Fatalf("publish: %d %s", rec.Code, rec.Body)
	}
}

// seedLog stores a log row as the engine would.
func (f *runFixture) seedLog(hookID int64, status, trigger string, at time.Time) *model.HookLog {
	f.a.t.Helper()
	l := &model.HookLog{HookID: hookID, Trigger: trigger, URL: f.rcv.URL, ResponseStatus: status,
		RequestHeaders: []model.Header{{Name: "Content-Type", Value: "application/json"}},
		RequestData:    []byte(`{"object_kind":"push"}`), ResponseBody: []byte("ok"),
		IdempotencyKey: "key-" + status, ExecutionDuration: 0.25, CreatedAt: at}
	if status == model.InternalErrorStatus {
		l.InternalErrorMessage = "Failed to open TCP connection"
	}
	if _, err := f.a.store.RecordOutcomes(context.Background(), "", []db.Outcome{{Log: l}}); err != nil {
		f.a.t.Fatal(err)
	}
	return l
}

func (f *runFixture) reload(id int64) *model.Hook {
	f.a.t.Helper()
	h, err := f.a.store.Hook(context.Background(), id)
	if err != nil {
		f.a.t.Fatal(err)
	}
	return h
}

func (f *runFixture) disable(id int64) {
	f.a.t.Helper()
	if _, err := f.a.store.UpdateHookState(context.Background(), id, func(h *model.Hook) bool {
		h.RecentFailures = 40
		return true
	}); err != nil {
		f.a.t.Fatal(err)
	}
}

type apiEvent struct {
	ID                int64             `json:"id"`
	URL               string            `json:"url"`
	Trigger           string            `json:"trigger"`
	RequestHeaders    map[string]string `json:"request_headers"`
	RequestData       map[string]any    `json:"request_data"`
	ResponseHeaders   map[string]string `json:"response_headers"`
	ResponseBody      string            `json:"response_body"`
	ExecutionDuration float64           `json:"execution_duration"`
	ResponseStatus    string            `json:"response_status"`
	CreatedAt         time.Time         `json:"created_at"`
}

func TestAPIHookEvents(t *testing.T) {
	f := newRunFixture(t)
	a := f.a
	h := f.hook(model.ProjectHookKind, "/p")
	now := time.Now()
	f.seedLog(h.ID, "200", "push_hooks", now.Add(-3*time.Minute))
	f.seedLog(h.ID, "201", "push_hooks", now.Add(-2*time.Minute))
	f.seedLog(h.ID, "404", "issue_hooks", now.Add(-90*time.Second))
	f.seedLog(h.ID, "500", "push_hooks", now.Add(-time.Minute))
	f.seedLog(h.ID, model.InternalErrorStatus, "push_hooks", now.Add(-30*time.Second))
	f.seedLog(h.ID, "302", "push_hooks", now.Add(-20*time.Second))
	f.seedLog(h.ID, "200", "push_hooks", now.AddDate(0, 0, -9)) // too old for the API
	other := f.hook(model.ProjectHookKind, "/other")
	f.seedLog(other.ID, "200", "push_hooks", now)
	base := "/api/v4/projects/acme%2Fplatform%2Fapi/hooks/" + itoa(h.ID) + "/events"

	list := func(t *testing.T, query string) ([]apiEvent, *httptest.ResponseRecorder) {
		t.Helper()
		rec := a.api(http.MethodGet, base+query, f.token, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET events%s: %d %s", query, rec.Code, rec.Body)
		}
		var out []apiEvent
		decode(t, rec, &out)
		return out, rec
	}
	statuses := func(es []apiEvent) string {
		var s []string
		for _, e := range es {
			s = append(s, e.ResponseStatus)
		}
		return strings.Join(s, ",")
	}

	t.Run("newest first, 7 days", func(t *testing.T) {
		es, rec := list(t, "")
		if got, want := statuses(es), "302,internal error,500,404,201,200"; got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
		if rec.Header().Get("X-Total") != "6" || rec.Header().Get("X-Per-Page") != "20" {
			t.Errorf("headers: X-Total %s, X-Per-Page %s", rec.Header().Get("X-Total"), rec.Header().Get("X-Per-Page"))
		}
		e := es[3]
		if e.Trigger != "issue_hooks" || e.URL != f.rcv.URL || e.RequestHeaders["Content-Type"] != "application/json" ||
			e.RequestData["object_kind"] != "push" || e.ResponseBody != "ok" || e.ExecutionDuration != 0.25 || e.ID == 0 {
			t.Errorf("entity %+v", e)
		}
		// GitLab's entity keys, in its order.
		var raw []json.RawMessage
		decode(t, rec, &raw)
		keys := jsonKeys(t, raw[0])
		if want := "id,url,trigger,request_headers,request_data,response_headers,response_body,execution_duration,response_status,created_at"; keys != want {
			t.Errorf("keys %s, want %s", keys, want)
		}
	})
	for _, tc := range []struct{ query, want string }{
		{"?status=successful", "201,200"},
		{"?status=client_failure", "404"},
		{"?status=server_failure", "internal error,500"},
		{"?status=404,500", "500,404"},
		{"?status[]=successful&status[]=client_failure", "404,201,200"},
		{"?status=302", "302"},
		{"?per_page=2", "302,internal error"},
		{"?per_page=2&page=2", "500,404"},
		{"?per_page=1", "302"},
		{"?per_page=20&page=2", ""},
	} {
		t.Run(tc.query, func(t *testing.T) {
			es, _ := list(t, tc.query)
			if got := statuses(es); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		query string
		code  int
		body  string
	}{
		{"?per_page=0", 400, `{"error":"per_page does not have a valid value"}`},
		{"?per_page=21", 400, `{"error":"per_page does not have a valid value"}`},
		{"?per_page=x", 400, `{"error":"per_page is invalid"}`},
		{"?status=teapot", 400, `{"error":"status does not have a valid value"}`},
		{"?status=999", 400, `{"error":"status does not have a valid value"}`},
		{"?status=internal%20error", 400, `{"error":"status does not have a valid value"}`},
	} {
		t.Run(tc.query, func(t *testing.T) {
			rec := a.api(http.MethodGet, base+tc.query, f.token, nil)
			if rec.Code != tc.code || strings.TrimSpace(rec.Body.String()) != tc.body {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body, tc.code, tc.body)
			}
		})
	}
	t.Run("another project's hook", func(t *testing.T) {
		p2 := dbtest.Project(t, a.store, "web", f.group)
		rec := a.api(http.MethodGet, "/api/v4/projects/"+itoa(p2.ID)+"/hooks/"+itoa(h.ID)+"/events", f.token, nil)
		if rec.Code != http.StatusNotFound {
			t.Errorf("got %d %s, want 404", rec.Code, rec.Body)
		}
	})
	t.Run("a developer", func(t *testing.T) {
		dev := dbtest.User(t, a.store, "dev", false)
		dbtest.Member(t, a.store, model.SourceProject, f.project.ID, dev, model.Developer)
		if rec := a.api(http.MethodGet, base, a.token(dev), nil); rec.Code != http.StatusForbidden {
			t.Errorf("got %d %s, want 403", rec.Code, rec.Body)
		}
	})
}

func jsonKeys(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return strings.Join(keys, ",")
}

func TestAPITestHook(t *testing.T) {
	f := newRunFixture(t)
	a := f.a
	h := f.hook(model.ProjectHookKind, "/p", "push_events")
	base := "/api/v4/projects/" + itoa(f.project.ID) + "/hooks/" + itoa(h.ID) + "/test/"

	// No push published yet: GitLab's message.
	rec := a.api(http.MethodPost, base+"push_events", f.token, nil)
	if rec.Code != http.StatusUnprocessableEntity || strings.TrimSpace(rec.Body.String()) != `{"message":"Ensure the project has at least one commit."}` {
		t.Fatalf("without a push: %d %s", rec.Code, rec.Body)
	}
	f.publishPush()
	rec = a.api(http.MethodPost, base+"push_events", f.token, nil)
	if rec.Code != http.StatusCreated || strings.TrimSpace(rec.Body.String()) != `{"message":"201 Created"}` {
		t.Fatalf("test: %d %s", rec.Code, rec.Body)
	}
	reqs := f.rcv.requests()
	if len(reqs) != 1 || reqs[0].Header.Get("X-Gitlab-Event") != "Push Hook" || !strings.Contains(f.rcv.lastBody(), `"user_email":"jsmith@example.com"`) {
		t.Fatalf("receiver: %d requests, body %s", len(reqs), f.rcv.lastBody())
	}
	logs, _, _ := a.store.HookLogs(context.Background(), h.ID, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 10}})
	if len(logs) != 1 || logs[0].ResponseStatus != "200" || logs[0].Trigger != "push_hooks" ||
		!strings.Contains(string(logs[0].RequestData), `"user_email":"[REDACTED]"`) {
		t.Fatalf("log rows %+v", logs)
	}

	f.rcv.answer(http.StatusNotFound, "no such hook here")
	rec = a.api(http.MethodPost, base+"push_events", f.token, nil)
	if rec.Code != http.StatusUnprocessableEntity || strings.TrimSpace(rec.Body.String()) != `{"message":"no such hook here"}` {
		t.Fatalf("404 answer: %d %s", rec.Code, rec.Body)
	}
	for _, tc := range []struct {
		trigger string
		code    int
		body    string
	}{
		{"issues_events", 422, `{"message":"Ensure the project has issues."}`},
		{"wiki_page_events", 422, `{"message":"Ensure the wiki is enabled and has pages."}`},
		{"deployment_events", 422, `{"message":"Testing not available for this hook"}`},
		{"confidential_note_events", 422, `{"message":"Testing not available for this hook"}`},
		{"member_events", 400, `{"error":"trigger does not have a valid value"}`}, // not a project hook trigger
		{"nonsense", 400, `{"error":"trigger does not have a valid value"}`},
	} {
		t.Run(tc.trigger, func(t *testing.T) {
			rec := a.api(http.MethodPost, base+tc.trigger, f.token, nil)
			if rec.Code != tc.code || strings.TrimSpace(rec.Body.String()) != tc.body {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body, tc.code, tc.body)
			}
		})
	}
	if rec := a.api(http.MethodPost, "/api/v4/projects/"+itoa(f.project.ID)+"/hooks/999/test/push_events", f.token, nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown hook: %d %s", rec.Code, rec.Body)
	}
}

// A test ignores the branch filter, goes to a disabled hook and enables it
// again when the receiver answers 2xx.
func TestAPITestReenablesDisabledHook(t *testing.T) {
	f := newRunFixture(t)
	h := f.hook(model.ProjectHookKind, "/p", "push_events")
	filter := "release/*"
	h.PushEventsBranchFilter = &filter
	if err := f.a.store.UpdateHook(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	f.disable(h.ID)
	f.publishPush()
	get := f.a.api(http.MethodGet, "/api/v4/projects/"+itoa(f.project.ID)+"/hooks/"+itoa(h.ID), f.token, nil)
	if !strings.Contains(get.Body.String(), `"alert_status":"disabled"`) {
		t.Fatalf("before: %s", get.Body)
	}
	rec := f.a.api(http.MethodPost, "/api/v4/projects/"+itoa(f.project.ID)+"/hooks/"+itoa(h.ID)+"/test/push_events", f.token, nil)
	if rec.Code != http.StatusCreated {
		t.Fatalf("test: %d %s", rec.Code, rec.Body)
	}
	if n := len(f.rcv.requests()); n != 1 {
		t.Fatalf("receiver got %d requests, want 1", n)
	}
	get = f.a.api(http.MethodGet, "/api/v4/projects/"+itoa(f.project.ID)+"/hooks/"+itoa(h.ID), f.token, nil)
	if !strings.Contains(get.Body.String(), `"alert_status":"executable"`) {
		t.Fatalf("after: %s", get.Body)
	}
}

func TestAPIResendHookEvent(t *testing.T) {
	f := newRunFixture(t)
	a := f.a
	h := f.hook(model.ProjectHookKind, "/p", "push_events")
	f.publishPush()
	if rec := a.api(http.MethodPost, "/api/v4/projects/"+itoa(f.project.ID)+"/hooks/"+itoa(h.ID)+"/test/push_events", f.token, nil); rec.Code != http.StatusCreated {
		t.Fatalf("test: %d %s", rec.Code, rec.Body)
	}
	logs, _, _ := a.store.HookLogs(context.Background(), h.ID, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 10}})
	orig := logs[0]
	base := "/api/v4/projects/acme%2Fplatform%2Fapi/hooks/" + itoa(h.ID) + "/events/"

	f.rcv.answer(http.StatusAccepted, "")
	rec := a.api(http.MethodPost, base+itoa(orig.ID)+"/resend", f.token, nil)
	if rec.Code != http.StatusCreated || strings.TrimSpace(rec.Body.String()) != `{"response_status":202}` {
		t.Fatalf("resend: %d %s", rec.Code, rec.Body)
	}
	reqs := f.rcv.requests()
	if len(reqs) != 2 {
		t.Fatalf("receiver got %d requests", len(reqs))
	}
	if k1, k2 := reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key"); k1 == "" || k1 != k2 {
		t.Errorf("Idempotency-Key %q then %q", k1, k2)
	}
	if u1, u2 := reqs[0].Header.Get("X-Gitlab-Webhook-UUID"), reqs[1].Header.Get("X-Gitlab-Webhook-UUID"); u1 == u2 {
		t.Errorf("X-Gitlab-Webhook-UUID reused: %q", u1)
	}

	for _, tc := range []struct {
		name string
		path string
		code int
		body string
	}{
		{"unknown log", base + "999999/resend", 404, `{"message":"404 Not found"}`},
		{"another hook's log", "/api/v4/projects/" + itoa(f.project.ID) + "/hooks/" + itoa(f.hook(model.ProjectHookKind, "/o").ID) + "/events/" + itoa(orig.ID) + "/resend", 404, `{"message":"404 Not found"}`},
		{"unknown hook", "/api/v4/projects/" + itoa(f.project.ID) + "/hooks/999/events/" + itoa(orig.ID) + "/resend", 404, `{"message":"404 Not found"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := a.api(http.MethodPost, tc.path, f.token, nil)
			if rec.Code != tc.code || strings.TrimSpace(rec.Body.String()) != tc.body {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body, tc.code, tc.body)
			}
		})
	}
	t.Run("receiver down", func(t *testing.T) {
		f.rcv.answer(http.StatusOK, "")
		gone := f.hook(model.ProjectHookKind, "/gone")
		l := f.seedLog(gone.ID, "500", "push_hooks", time.Now())
		gone.URL = "http://127.0.0.1:1/gone" // nothing listens on port 1
		if err := a.store.UpdateHook(context.Background(), gone); err != nil {
			t.Fatal(err)
		}
		rec := a.api(http.MethodPost, "/api/v4/projects/"+itoa(f.project.ID)+"/hooks/"+itoa(gone.ID)+"/events/"+itoa(l.ID)+"/resend", f.token, nil)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "Failed to open TCP connection") {
			t.Errorf("got %d %s, want 422 with the connection error", rec.Code, rec.Body)
		}
	})
	t.Run("hook disabled", func(t *testing.T) {
		f.disable(h.ID)
		defer func() {
			_, _ = a.store.UpdateHookState(context.Background(), h.ID, func(h *model.Hook) bool { h.RecentFailures = 0; return true })
		}()
		rec := a.api(http.MethodPost, base+itoa(orig.ID)+"/resend", f.token, nil)
		if rec.Code != http.StatusUnprocessableEntity || strings.TrimSpace(rec.Body.String()) != `{"message":"Hook disabled"}` {
			t.Errorf("got %d %s", rec.Code, rec.Body)
		}
	})
	t.Run("URL changed", func(t *testing.T) {
		hk := f.reload(h.ID)
		hk.URL = f.rcv.URL + "/elsewhere"
		if err := a.store.UpdateHook(context.Background(), hk); err != nil {
			t.Fatal(err)
		}
		rec := a.api(http.MethodPost, base+itoa(orig.ID)+"/resend", f.token, nil)
		if rec.Code != http.StatusUnprocessableEntity || strings.TrimSpace(rec.Body.String()) != `{"message":"The hook URL has changed, and this log entry cannot be retried"}` {
			t.Errorf("got %d %s", rec.Code, rec.Body)
		}
	})
	if n := len(f.rcv.requests()); n != 2 {
		t.Errorf("refused resends reached the receiver: %d requests", n)
	}
}

// Test and Resend are limited per user and hook parent: the sixth in a
// minute is refused with GitLab's 429, another user or project is not
// affected.
func TestAPITestAndResendRateLimit(t *testing.T) {
	f := newRunFixture(t)
	a := f.a
	f.settings(func(st *model.Settings) { st.WebHookTestLimit, st.WebHookResendLimit = 5, 3 })
	h := f.hook(model.ProjectHookKind, "/p", "push_events")
	f.publishPush()
	test := "/api/v4/projects/" + itoa(f.project.ID) + "/hooks/" + itoa(h.ID) + "/test/push_events"
	const limited = `{"message":{"error":"This endpoint has been requested too many times. Try again later."}}`
	for i := 1; i <= 6; i++ {
		rec := a.api(http.MethodPost, test, f.token, nil)
		want := http.StatusCreated
		if i == 6 {
			want = http.StatusTooManyRequests
		}
		if rec.Code != want {
			t.Fatalf("test %d: got %d %s, want %d", i, rec.Code, rec.Body, want)
		}
		if i == 6 && strings.TrimSpace(rec.Body.String()) != limited {
			t.Fatalf("429 body %s", rec.Body)
		}
	}
	if n := len(f.rcv.requests()); n != 5 {
		t.Fatalf("receiver got %d requests, want 5", n)
	}
	// Another maintainer of the project has a budget of their own.
	other := dbtest.User(t, a.store, "other", false)
	dbtest.Member(t, a.store, model.SourceProject, f.project.ID, other, model.Maintainer)
	if rec := a.api(http.MethodPost, test, a.token(other), nil); rec.Code != http.StatusCreated {
		t.Fatalf("another user: %d %s", rec.Code, rec.Body)
	}

	logs, _, _ := a.store.HookLogs(context.Background(), h.ID, db.HookLogFilter{Page: db.Page{Page: 1, PerPage: 10}})
	resend := "/api/v4/projects/" + itoa(f.project.ID) + "/hooks/" + itoa(h.ID) + "/events/" + itoa(logs[0].ID) + "/resend"
	for i := 1; i <= 4; i++ {
		rec := a.api(http.MethodPost, resend, f.token, nil)
		want := http.StatusCreated
		if i == 4 {
			want = http.StatusTooManyRequests
		}
		if rec.Code != want {
			t.Fatalf("resend %d: got %d %s, want %d", i, rec.Code, rec.Body, want)
		}
	}
}

// Group hooks test with the newest event of any project under the group;
// system hooks with GitLab's samples, and POST /hooks/:id sends GitLab's
// project_create sample.
func TestAPITestGroupAndSystemHooks(t *testing.T) {
	f := newRunFixture(t)
	a := f.a
	gh := f.hook(model.GroupHookKind, "/g", "push_events")
	groupTest := "/api/v4/groups/acme/hooks/" + itoa(gh.ID) + "/test/"
	if rec := a.api(http.MethodPost, groupTest+"push_events", f.token, nil); rec.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(rec.Body.String(), "Ensure the project has at least one commit.") {
		t.Fatalf("group hook without events: %d %s", rec.Code, rec.Body)
	}
	f.publishPush() // in acme/platform/api
	if rec := a.api(http.MethodPost, groupTest+"push_events", f.token, nil); rec.Code != http.StatusCreated {
		t.Fatalf("group hook: %d %s", rec.Code, rec.Body)
	}
	if rec := a.api(http.MethodPost, groupTest+"subgroup_events", f.token, nil); rec.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(rec.Body.String(), model.TestNotAvailable) {
		t.Fatalf("subgroup events: %d %s", rec.Code, rec.Body)
	}

	admin := dbtest.User(t, a.store, "admin", true)
	at := a.token(admin)
	f.settings(func(st *model.Settings) { st.AllowLocalRequestsFromSystemHooks = true })
	sh := f.hook(model.SystemHookKind, "/s")
	rec := a.api(http.MethodPost, "/api/v4/hooks/"+itoa(sh.ID), at, nil)
	if rec.Code != http.StatusCreated || strings.TrimSpace(rec.Body.String()) != model.SystemHookTestData {
		t.Fatalf("POST /hooks/:id: %d %s", rec.Code, rec.Body)
	}
	last := f.rcv.requests()[len(f.rcv.requests())-1]
	if last.Header.Get("X-Gitlab-Event") != "System Hook" || f.rcv.lastBody() != model.SystemHookTestData {
		t.Fatalf("receiver: %s %s", last.Header.Get("X-Gitlab-Event"), f.rcv.lastBody())
	}
	for _, tc := range []struct {
		trigger string
		code    int
		msg     string
	}{
		{"push_events", 201, "201 Created"},
		{"tag_push_events", 201, "201 Created"},
		{"repository_update_events", 201, "201 Created"},
		{"merge_requests_events", 422, "Ensure one of your projects has merge requests."},
		{"issues_events", 400, "trigger does not have a valid value"},
	} {
		t.Run("system "+tc.trigger, func(t *testing.T) {
			rec := a.api(http.MethodPost, "/api/v4/hooks/"+itoa(sh.ID)+"/test/"+tc.trigger, at, nil)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.msg) {
				t.Errorf("got %d %s, want %d %q", rec.Code, rec.Body, tc.code, tc.msg)
			}
		})
	}
	var events []apiEvent
	rec = a.api(http.MethodGet, "/api/v4/hooks/"+itoa(sh.ID)+"/events", at, nil)
	decode(t, rec, &events)
	if len(events) != 4 || events[3].Trigger != "system_hooks" {
		t.Fatalf("system hook events: %d %s", rec.Code, rec.Body)
	}
	if rec := a.api(http.MethodPost, "/api/v4/hooks/"+itoa(sh.ID), f.token, nil); rec.Code != http.StatusForbidden && rec.Code != http.StatusNotFound {
		t.Errorf("non-admin: %d %s", rec.Code, rec.Body)
	}
}
