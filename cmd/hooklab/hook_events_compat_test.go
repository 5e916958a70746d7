package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/model"
)

// seen is one request a test receiver got.
type seen struct {
	path, event, idempotencyKey, webhookUUID, body string
}

// eventReceiver is a webhook receiver on 127.0.0.1 that records requests
// and answers with the status set last.
type eventReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	got    []seen
}

func newEventReceiver(t *testing.T) *eventReceiver {
	t.Helper()
	r := &eventReceiver{status: http.StatusOK}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, seen{req.URL.Path, req.Header.Get("X-Gitlab-Event"), req.Header.Get("Idempotency-Key"),
			req.Header.Get("X-Gitlab-Webhook-UUID"), string(b)})
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *eventReceiver) answer(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

func (r *eventReceiver) requests() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.got...)
}

// waitFor polls until cond holds or fails the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hookEvent is an entry of GET .../hooks/:hook_id/events (client-go v1.46
// has no method for it).
type hookEvent struct {
	ID             int64             `json:"id"`
	Trigger        string            `json:"trigger"`
	URL            string            `json:"url"`
	RequestHeaders map[string]string `json:"request_headers"`
	ResponseStatus string            `json:"response_status"`
	ResponseBody   string            `json:"response_body"`
}

// listHookEvents lists recent events; query is a raw query string.
func listHookEvents(t *testing.T, gl *gitlab.Client, path, query string) ([]hookEvent, *gitlab.Response, error) {
	t.Helper()
	withQuery := func(r *retryablehttp.Request) error { r.URL.RawQuery = query; return nil }
	req, err := gl.NewRequest(http.MethodGet, path, nil, []gitlab.RequestOptionFunc{withQuery})
	if err != nil {
		t.Fatal(err)
	}
	var out []hookEvent
	resp, err := gl.Do(req, &out)
	return out, resp, err
}

func publishPush(t *testing.T, gl *gitlab.Client, project string) {
	t.Helper()
	body := sampleFor(t, gl, "push_hooks", strings.ReplaceAll(project, "%2F", "/"))
	req, err := gl.NewRequest(http.MethodPost, "projects/"+project+"/hook_events", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Body, req.ContentLength = nopCloser(body), int64(len(body))
	if _, err := gl.Do(req, nil); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// errStatus is the HTTP status of a client-go error.
func errStatus(err error) int {
	if errors.Is(err, gitlab.ErrNotFound) { // client-go's sentinel for 404
		return http.StatusNotFound
	}
	var er *gitlab.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// The real GitLab Go client tests hooks, lists their recent events and
// resends them: the receiver sees the same Idempotency-Key on the resend,
// Resend refuses a changed URL and a disabled hook, a test enables a
// disabled hook again, and Test is rate limited.
func TestClientGoTestAndResend(t *testing.T) {
	inst := startInstance(t)
	gl, err := gitlab.NewClient(inst.token(t, "root"), gitlab.WithBaseURL(inst.URL+"/api/v4"), gitlab.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	rcv := newEventReceiver(t)
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	acme, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	proj, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(acme.ID)})
	if err != nil {
		t.Fatal(err)
	}
	ph, _, err := gl.Projects.AddProjectHook(proj.ID, &gitlab.AddProjectHookOptions{URL: gitlab.Ptr(rcv.URL + "/project"), PushEvents: gitlab.Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	gh, _, err := gl.Groups.AddGroupHook(acme.ID, &gitlab.AddGroupHookOptions{URL: gitlab.Ptr(rcv.URL + "/group"), PushEvents: gitlab.Ptr(true)})
	if err != nil {
		t.Fatal(err)
	}

	// Nothing published yet: GitLab's message.
	_, err = gl.Projects.TriggerTestProjectHook(proj.ID, ph.ID, gitlab.ProjectHookEventPush)
	if errStatus(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "Ensure the project has at least one commit.") {
		t.Fatalf("test without events: %v", err)
	}
	publishPush(t, gl, "acme%2Fapi")
	waitFor(t, "the published push at both hooks", func() bool { return len(rcv.requests()) == 2 })
	// The receiver answers before the outcomes are written (in batches):
	// wait for the log rows too, which end the deliveries in the outbox.
	waitFor(t, "both deliveries recorded", func() bool {
		n, err := inst.store().PendingDeliveries(context.Background())
		return err == nil && n == 0
	})

	if _, err := gl.Projects.TriggerTestProjectHook(proj.ID, ph.ID, gitlab.ProjectHookEventPush); err != nil {
		t.Fatalf("TriggerTestProjectHook: %v", err)
	}
	if _, err := gl.Groups.TriggerTestGroupHook(acme.ID, gh.ID, gitlab.GroupHookTriggerPush); err != nil {
		t.Fatalf("TriggerTestGroupHook: %v", err)
	}
	_, err = gl.Groups.TriggerTestGroupHook(acme.ID, gh.ID, gitlab.GroupHookTrigger("subgroup_events"))
	if errStatus(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), model.TestNotAvailable) {
		t.Fatalf("subgroup test: %v", err)
	}
	if n := len(rcv.requests()); n != 4 {
		t.Fatalf("receiver got %d requests, want 4", n)
	}

	// Recent events through the client's raw requests.
	groupEvents := "groups/" + itoa(acme.ID) + "/hooks/" + itoa(gh.ID) + "/events"
	events, resp, err := listHookEvents(t, gl, groupEvents, "")
	if err != nil || len(events) != 2 || resp.TotalItems != 2 || events[0].Trigger != "push_hooks" || events[0].ResponseStatus != "200" {
		t.Fatalf("group events: %+v (%v)", events, err)
	}
	published := events[1] // the delivery, older than the test
	if _, _, err := listHookEvents(t, gl, groupEvents, "per_page=21"); errStatus(err) != http.StatusBadRequest {
		t.Fatalf("per_page=21: %v", err)
	}
	if _, _, err := listHookEvents(t, gl, groupEvents, "per_page=0"); errStatus(err) != http.StatusBadRequest {
		t.Fatalf("per_page=0: %v", err)
	}
	if page, _, err := listHookEvents(t, gl, groupEvents, "per_page=1&page=2"); err != nil || len(page) != 1 || page[0].ID != published.ID {
		t.Fatalf("per_page=1&page=2: %+v (%v)", page, err)
	}

	// ResendGroupHookEvent: the same Idempotency-Key reaches the receiver.
	before := len(rcv.requests())
	if _, err := gl.Groups.ResendGroupHookEvent(acme.ID, gh.ID, published.ID); err != nil {
		t.Fatalf("ResendGroupHookEvent: %v", err)
	}
	got := rcv.requests()
	if len(got) != before+1 {
		t.Fatalf("resend: receiver got %d requests, want %d", len(got), before+1)
	}
	var original seen
	for _, r := range got[:before] {
		if r.path == "/group" && r.idempotencyKey == published.RequestHeaders["Idempotency-Key"] {
			original = r
		}
	}
	resent := got[before]
	if original.idempotencyKey == "" || resent.idempotencyKey != original.idempotencyKey || resent.webhookUUID == original.webhookUUID || resent.body != original.body {
		t.Fatalf("resent %+v, original %+v", resent, original)
	}

	// Status filters.
	rcv.answer(http.StatusNotFound)
	projectEvents := "projects/" + itoa(proj.ID) + "/hooks/" + itoa(ph.ID) + "/events"
	if _, err := gl.Projects.TriggerTestProjectHook(proj.ID, ph.ID, gitlab.ProjectHookEventPush); errStatus(err) != http.StatusUnprocessableEntity {
		t.Fatalf("test answered 404: %v", err)
	}
	rcv.answer(http.StatusOK)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"404", "200", "200"}},
		{"status=successful", []string{"200", "200"}},
		{"status=client_failure", []string{"404"}},
		{"status=server_failure", nil},
		{"status=404,200", []string{"404", "200", "200"}},
	} {
		events, _, err := listHookEvents(t, gl, projectEvents, tc.query)
		var statuses []string
		for _, e := range events {
			statuses = append(statuses, e.ResponseStatus)
		}
		if err != nil || strings.Join(statuses, ",") != strings.Join(tc.want, ",") {
			t.Errorf("events%s: %v (%v), want %v", tc.query, statuses, err, tc.want)
		}
	}
	events, _, _ = listHookEvents(t, gl, projectEvents, "")
	failed := events[0]

	// Resend through a raw request: 201 {"response_status": 200}.
	req, err := gl.NewRequest(http.MethodPost, "projects/"+itoa(proj.ID)+"/hooks/"+itoa(ph.ID)+"/events/"+itoa(failed.ID)+"/resend", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		ResponseStatus int `json:"response_status"`
	}
	if resp, err := gl.Do(req, &out); err != nil || resp.StatusCode != http.StatusCreated || out.ResponseStatus != 200 {
		t.Fatalf("resend: %+v (%v)", out, err)
	}
	if _, err := gl.Groups.ResendGroupHookEvent(acme.ID, gh.ID, 999999); errStatus(err) != http.StatusNotFound {
		t.Fatalf("resend an unknown event: %v", err)
	}

	// Refused: a disabled hook, then a changed URL.
	ctx := context.Background()
	if _, err := inst.store().UpdateHookState(ctx, gh.ID, func(h *model.Hook) bool { h.RecentFailures = 40; return true }); err != nil {
		t.Fatal(err)
	}
	_, err = gl.Groups.ResendGroupHookEvent(acme.ID, gh.ID, published.ID)
	if errStatus(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "Hook disabled") {
		t.Fatalf("resend to a disabled hook: %v", err)
	}
	// A test enables it again.
	if _, err := gl.Groups.TriggerTestGroupHook(acme.ID, gh.ID, gitlab.GroupHookTriggerPush); err != nil {
		t.Fatalf("test of the disabled hook: %v", err)
	}
	hook, _, err := gl.Groups.GetGroupHook(acme.ID, gh.ID)
	if err != nil || hook.AlertStatus != "executable" {
		t.Fatalf("after the test: %+v (%v)", hook, err)
	}
	if _, _, err := gl.Groups.EditGroupHook(acme.ID, gh.ID, &gitlab.EditGroupHookOptions{URL: gitlab.Ptr(rcv.URL + "/moved")}); err != nil {
		t.Fatal(err)
	}
	_, err = gl.Groups.ResendGroupHookEvent(acme.ID, gh.ID, published.ID)
	if errStatus(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "The hook URL has changed, and this log entry cannot be retried") {
		t.Fatalf("resend after the URL changed: %v", err)
	}

	// System hooks: client-go's SystemHooks.TestHook sends GET /hooks/:id
	// (GitLab's test is POST /hooks/:id), so the request is corrected here.
	sh, _, err := gl.SystemHooks.AddHook(&gitlab.AddHookOptions{URL: gitlab.Ptr(rcv.URL + "/system")})
	if err != nil {
		t.Fatal(err)
	}
	asPost := func(r *retryablehttp.Request) error { r.Method = http.MethodPost; return nil }
	ev, resp, err := gl.SystemHooks.TestHook(sh.ID, asPost)
	if err != nil || resp.StatusCode != http.StatusCreated || ev.EventName != "project_create" || ev.Name != "Ruby" || ev.OwnerEmail != "example@gitlabhq.com" {
		t.Fatalf("SystemHooks.TestHook: %+v (%v)", ev, err)
	}
	last := rcv.requests()[len(rcv.requests())-1]
	if last.path != "/system" || last.event != "System Hook" || !strings.Contains(last.body, `"event_name":"project_create"`) {
		t.Fatalf("system hook test reached the receiver as %+v", last)
	}
	if events, _, err := listHookEvents(t, gl, "hooks/"+itoa(sh.ID)+"/events", ""); err != nil || len(events) != 1 || events[0].Trigger != "system_hooks" {
		t.Fatalf("system hook events: %+v (%v)", events, err)
	}

	// The rate limit: 5 tests a minute per user and project.
	n := 0
	for ; n < 10; n++ {
		if _, err = gl.Projects.TriggerTestProjectHook(proj.ID, ph.ID, gitlab.ProjectHookEventPush); err != nil {
			break
		}
	}
	// Three tests of this project's hook were made above within the minute
	// (the one refused for want of events counts too, as in GitLab).
	if errStatus(err) != http.StatusTooManyRequests || !strings.Contains(err.Error(), model.TooManyRequests) || n != 2 {
		t.Fatalf("after %d more tests: %v", n, err)
	}
}
