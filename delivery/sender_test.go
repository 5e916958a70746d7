package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hooklab/hooklab/model"
)

func TestSendDeliveryHeaders(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	h := projectHook(rcv.URL + "/hook")
	h.Token = "secret-token"
	h.CustomHeaders = map[string]string{
		"X-Custom":       "custom-value",
		"x-gitlab-event": "Spoofed Hook", // loses to the delivery header
		"User-Agent":     "curl/8",       // loses too
		"Authorization":  "Bearer abc",
	}
	const eventUUID = "3e6f2b37-2b8a-4bd3-9d5e-5c8a1f0d7a11"
	const idemKey = "9a1f2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
	req := Request{
		Hook: h, Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"),
		EventUUID: eventUUID, IdempotencyKey: idemKey, Settings: localSettings(),
	}
	a1 := s.Send(context.Background(), req)
	a2 := s.Send(context.Background(), req)
	for _, a := range []Attempt{a1, a2} {
		if a.Err != nil || a.StatusCode != 200 {
			t.Fatalf("attempt: status %d, err %v", a.StatusCode, a.Err)
		}
	}
	reqs := rcv.requests()
	if len(reqs) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(reqs))
	}
	got := reqs[0]
	if got.Method != http.MethodPost || got.Path != "/hook" {
		t.Errorf("request %s %s, want POST /hook", got.Method, got.Path)
	}
	want := map[string]string{
		"Content-Type":        "application/json",
		"User-Agent":          "GitLab/" + testVersion,
		"X-Gitlab-Event":      "Push Hook",
		"X-Gitlab-Token":      "secret-token",
		"X-Gitlab-Instance":   testExternalURL,
		"X-Gitlab-Event-Uuid": eventUUID,
		"Idempotency-Key":     idemKey,
		"X-Custom":            "custom-value",
		"Authorization":       "Bearer abc",
	}
	for name, v := range want {
		if vs := got.Header.Values(name); len(vs) != 1 || vs[0] != v {
			t.Errorf("header %s = %q, want %q", name, vs, v)
		}
	}
	hookUUID1 := got.Header.Get("X-Gitlab-Webhook-UUID")
	hookUUID2 := reqs[1].Header.Get("X-Gitlab-Webhook-UUID")
	if _, err := uuid.Parse(hookUUID1); err != nil {
		t.Errorf("X-Gitlab-Webhook-UUID %q is not a UUID", hookUUID1)
	}
	if hookUUID1 == hookUUID2 {
		t.Errorf("X-Gitlab-Webhook-UUID is %q on both attempts, want a fresh one per attempt", hookUUID1)
	}
	if got, want := reqs[1].Header.Get("Idempotency-Key"), idemKey; got != want {
		t.Errorf("second attempt Idempotency-Key = %q, want %q", got, want)
	}

	// The log shows what was sent, secrets redacted.
	wantLog := map[string]string{
		"Content-Type":          "application/json",
		"User-Agent":            "GitLab/" + testVersion,
		"Idempotency-Key":       idemKey,
		"X-Gitlab-Event":        "Push Hook",
		"X-Gitlab-Webhook-UUID": hookUUID1,
		"X-Gitlab-Instance":     testExternalURL,
		"X-Gitlab-Token":        model.Redacted,
		"X-Gitlab-Event-UUID":   eventUUID,
		"X-Custom":              model.Redacted,
		"Authorization":         model.Redacted,
	}
	if fmt.Sprint(a1.RequestHeaders) != fmt.Sprint(wantLog) {
		t.Errorf("logged headers\n got %v\nwant %v", a1.RequestHeaders, wantLog)
	}
	if a1.Trigger != "push_hooks" {
		t.Errorf("Trigger = %q, want push_hooks", a1.Trigger)
	}
}

func TestSendEventHeaderPerTrigger(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	tests := []struct {
		kind  model.HookKind
		scope string
		want  string
	}{
		{model.ProjectHookKind, "push_hooks", "Push Hook"},
		{model.ProjectHookKind, "confidential_issue_hooks", "Confidential Issue Hook"},
		{model.GroupHookKind, "subgroup_hooks", "Subgroup Hook"},
		{model.ProjectHookKind, "job_hooks", "Job Hook"},
		{model.SystemHookKind, "merge_request_hooks", "System Hook"},
		{model.SystemHookKind, "repository_update_hooks", "System Hook"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.scope, func(t *testing.T) {
			h := projectHook(rcv.URL)
			h.Kind = tt.kind
			before := len(rcv.requests())
			a := s.Send(context.Background(), Request{
				Hook: h, Trigger: trigger(t, tt.scope), Payload: samplePayload(t, s, tt.scope), Settings: localSettings(),
			})
			if a.Err != nil {
				t.Fatal(a.Err)
			}
			reqs := rcv.requests()
			if len(reqs) != before+1 {
				t.Fatalf("receiver got %d new requests, want 1", len(reqs)-before)
			}
			if got := reqs[before].Header.Get("X-Gitlab-Event"); got != tt.want {
				t.Errorf("X-Gitlab-Event = %q, want %q", got, tt.want)
			}
			if a.Trigger != tt.scope {
				t.Errorf("Trigger = %q, want %q", a.Trigger, tt.scope)
			}
			// Without a token there is no X-Gitlab-Token; without given
			// UUIDs fresh ones are made.
			if _, ok := reqs[before].Header["X-Gitlab-Token"]; ok {
				t.Errorf("X-Gitlab-Token sent for a hook without a token")
			}
			for _, name := range []string{"X-Gitlab-Event-UUID", "Idempotency-Key"} {
				if _, err := uuid.Parse(reqs[before].Header.Get(name)); err != nil {
					t.Errorf("%s = %q, want a fresh UUID", name, reqs[before].Header.Get(name))
				}
			}
		})
	}
}

func TestSendCustomTokenHeaderWithoutToken(t *testing.T) {
	// GitLab's X-Gitlab-Token is a delivery header only when the hook has a
	// token; otherwise a custom header of that name goes out. Its value is
	// still never logged.
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	h := projectHook(rcv.URL)
	h.CustomHeaders = map[string]string{"X-Gitlab-Token": "from-custom"}
	a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
	if a.Err != nil {
		t.Fatal(a.Err)
	}
	if got := rcv.requests()[0].Header.Get("X-Gitlab-Token"); got != "from-custom" {
		t.Errorf("X-Gitlab-Token = %q, want the custom header's value", got)
	}
	if got := a.RequestHeaders["X-Gitlab-Token"]; got != model.Redacted {
		t.Errorf("logged X-Gitlab-Token = %q, want %s", got, model.Redacted)
	}
}

func TestSendBasicAuthFromUserinfo(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	raw := rcv.hookURL("127.0.0.1", "/p")
	raw = strings.Replace(raw, "http://", "http://{user}:p%2Bss%40word@", 1)
	h := projectHook(raw + "?q=1")
	h.URLVariables = map[string]string{"user": "alice"}
	a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
	if a.Err != nil {
		t.Fatal(a.Err)
	}
	got := rcv.requests()[0]
	if !got.BasicAuth || got.User != "alice" || got.Password != "p+ss@word" {
		t.Errorf("basic auth = %v %q:%q, want alice:p+ss@word", got.BasicAuth, got.User, got.Password)
	}
	if got.Path != "/p" || got.RawQuery != "q=1" {
		t.Errorf("request to %s?%s, want /p?q=1", got.Path, got.RawQuery)
	}
	if want := strings.Replace(h.URL, "{user}:p%2Bss%40word", "*****:*****", 1); a.URL != want {
		t.Errorf("logged URL = %q, want %q", a.URL, want)
	}
	interpolated, _ := h.InterpolatedURL()
	if want := URLHash(testHashKey, interpolated); a.URLHash != want || a.URLHash == "" {
		t.Errorf("URLHash = %q, want %q", a.URLHash, want)
	}
	if hash, _ := s.HookURLHash(h); hash != a.URLHash {
		t.Errorf("HookURLHash = %q, want the attempt's %q", hash, a.URLHash)
	}
	if _, ok := a.RequestHeaders["Authorization"]; ok {
		t.Errorf("Authorization logged: %v", a.RequestHeaders)
	}
}

func TestSendURLVariablesStaySecret(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", "you called "+r.URL.String())
		w.WriteHeader(http.StatusAccepted)
	})
	h := projectHook(rcv.URL + "/{path}?key={secret}")
	h.URLVariables = map[string]string{"path": "hooks-abc", "secret": "s3cr3tvalue"}
	a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
	if a.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d (%v), want 202", a.StatusCode, a.Err)
	}
	got := rcv.requests()[0]
	if got.Path != "/hooks-abc" || got.RawQuery != "key=s3cr3tvalue" {
		t.Errorf("request to %s?%s, want the interpolated URL", got.Path, got.RawQuery)
	}
	if a.URL != h.URL {
		t.Errorf("logged URL = %q, want the stored form %q", a.URL, h.URL)
	}
	if want := "you called /{path}?key={secret}"; a.ResponseHeaders["X-Echo"] != want {
		t.Errorf("response header X-Echo = %q, want %q", a.ResponseHeaders["X-Echo"], want)
	}
	if !a.Success() || a.ResponseStatus() != "202" {
		t.Errorf("Success() = %v, ResponseStatus() = %q", a.Success(), a.ResponseStatus())
	}

	// An error message that would quote the host shows the placeholder.
	h2 := projectHook("http://{host}:1/")
	h2.URLVariables = map[string]string{"host": "secret-host.invalid"}
	a = s.Send(context.Background(), Request{Hook: h2, Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
	if a.Err == nil || strings.Contains(a.InternalErrorMessage, "secret-host") || !strings.Contains(a.InternalErrorMessage, "{host}") {
		t.Errorf("internal error message = %q, want the host shown as {host}", a.InternalErrorMessage)
	}
}

func TestSendBody(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	event, err := model.ParsePayload([]byte(`{"object_kind":"issue","user":{"email":"jane@example.com"},` +
		`"project":{"id":42},"object_attributes":{"description":"see ![shot](/uploads/abc/shot.png)","author":"Jane <jane@example.com>"}}`))
	if err != nil {
		t.Fatal(err)
	}
	original, _ := model.EncodeJSON(event)
	p := s.NewPayload(event)
	a := s.Send(context.Background(), Request{Hook: projectHook(rcv.URL), Trigger: trigger(t, "issue_hooks"), Payload: p, Settings: localSettings()})
	if a.Err != nil {
		t.Fatal(a.Err)
	}
	wantSent := `{"object_kind":"issue","user":{"email":"jane@example.com"},"project":{"id":42},` +
		`"object_attributes":{"description":"see ![shot](https://hooklab.example.com/-/project/42/uploads/abc/shot.png)","author":"Jane \u003cjane@example.com\u003e"}}`
	if got := string(rcv.requests()[0].Body); got != wantSent {
		t.Errorf("sent body\n got %s\nwant %s", got, wantSent)
	}
	wantLogged := strings.Replace(wantSent, `"email":"jane@example.com"`, `"email":"[REDACTED]"`, 1)
	if string(a.RequestData) != wantLogged {
		t.Errorf("logged body\n got %s\nwant %s", a.RequestData, wantLogged)
	}
	if after, _ := model.EncodeJSON(event); !bytes.Equal(after, original) {
		t.Errorf("NewPayload modified the event:\n%s", after)
	}
}

func TestSendCustomTemplate(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	tests := []struct {
		name     string
		template string
		wantBody string // "" when nothing may be sent
		wantErr  string
	}{
		{
			name:     "renders",
			template: `{"event":"{{object_kind}}","project_name":"{{project.name}}","commits":{{total_commits_count}},"who":"{{user_email}}"}`,
			wantBody: `{"event":"push","project_name":"Example","commits":4,"who":"john@example.com"}`,
		},
		{
			name:     "array",
			template: `{"id":"{{commits.id}}"}`,
			wantErr:  "Error while parsing rendered custom webhook template: You may be trying to access an array value, which is not supported.",
		},
		{
			name:     "invalid JSON",
			template: `{"event":{{object_kind}}}`,
			wantErr:  "Error while parsing rendered custom webhook template: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := projectHook(rcv.URL + "/" + strings.ReplaceAll(tt.name, " ", "-"))
			h.CustomWebhookTemplate = tt.template
			before := len(rcv.requests())
			a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
			sent := rcv.requests()[before:]
			if tt.wantBody != "" {
				if a.Err != nil || len(sent) != 1 {
					t.Fatalf("err %v, %d requests sent, want one", a.Err, len(sent))
				}
				if string(sent[0].Body) != tt.wantBody {
					t.Errorf("sent %s, want %s", sent[0].Body, tt.wantBody)
				}
				wantLogged := strings.Replace(tt.wantBody, "john@example.com", model.Redacted, 1)
				if string(a.RequestData) != wantLogged {
					t.Errorf("logged %s, want %s", a.RequestData, wantLogged)
				}
				return
			}
			if len(sent) != 0 {
				t.Errorf("template error sent %d requests, want none", len(sent))
			}
			if a.StatusCode != 0 || a.ResponseStatus() != InternalError || a.Success() {
				t.Errorf("status %d %q success %v, want internal error", a.StatusCode, a.ResponseStatus(), a.Success())
			}
			if !strings.HasPrefix(a.InternalErrorMessage, tt.wantErr) || len(a.InternalErrorMessage) <= len(model.TemplateErrorPrefix) {
				t.Errorf("message %q, want %q…", a.InternalErrorMessage, tt.wantErr)
			}
			if string(a.RequestData) != "{}" {
				t.Errorf("request data %s, want {}", a.RequestData)
			}
			if !errors.Is(a.Err, model.ErrInvalid) {
				t.Errorf("Err %v does not match model.ErrInvalid", a.Err)
			}
		})
	}
}

func TestSendVerbatimPayload(t *testing.T) {
	// Resend sends the stored body as it is: no template, no rewriting.
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	stored := []byte(`{"event":"push","description":"![x](/uploads/x.png)","email":"[REDACTED]"}`)
	p, err := NewVerbatimPayload(stored)
	if err != nil {
		t.Fatal(err)
	}
	h := projectHook(rcv.URL)
	h.CustomWebhookTemplate = `{"kind":"{{object_kind}}"}`
	a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: p, Settings: localSettings(), IdempotencyKey: "k-1"})
	if a.Err != nil {
		t.Fatal(a.Err)
	}
	if got := rcv.requests()[0].Body; !bytes.Equal(got, stored) {
		t.Errorf("sent %s, want the stored body %s", got, stored)
	}
	if _, err := NewVerbatimPayload([]byte(`{"a":`)); err == nil {
		t.Errorf("NewVerbatimPayload accepted invalid JSON")
	}
}

func TestSendResponseLimits(t *testing.T) {
	s := newTestSender(t)
	long := strings.Repeat("é", MaxResponseBody) // 2 bytes each
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		for i := range 60 {
			w.Header().Set(fmt.Sprintf("X-H%02d", i), "v")
		}
		w.Header().Set("A-Big", strings.Repeat("b", 2*MaxResponseHeaderValue))
		w.Header().Add("A-Multi", "one")
		w.Header().Add("A-Multi", "two")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, long)
	})
	a := s.Send(context.Background(), Request{Hook: projectHook(rcv.URL), Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
	if a.StatusCode != 500 || a.Err != nil {
		t.Fatalf("status %d err %v, want 500 without error", a.StatusCode, a.Err)
	}
	if a.Success() {
		t.Errorf("a 500 counts as success")
	}
	if n := len(a.ResponseBody); n > MaxResponseBody || n < MaxResponseBody-4 {
		t.Errorf("response body is %d bytes, want just under %d", n, MaxResponseBody)
	}
	if !utf8.ValidString(a.ResponseBody) || !strings.HasSuffix(a.ResponseBody, "é…") {
		t.Errorf("truncated body ends %q, want whole characters then …", a.ResponseBody[len(a.ResponseBody)-8:])
	}
	if n := len(a.ResponseHeaders); n != MaxResponseHeaders {
		t.Errorf("%d response headers kept, want %d", n, MaxResponseHeaders)
	}
	if v := a.ResponseHeaders["A-Big"]; len(v) > MaxResponseHeaderValue || len(v) < MaxResponseHeaderValue-3 {
		t.Errorf("A-Big kept %d bytes, want at most %d", len(v), MaxResponseHeaderValue)
	}
	if v := a.ResponseHeaders["A-Multi"]; v != "one, two" {
		t.Errorf("A-Multi = %q, want values joined as GitLab does", v)
	}

	small := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok \xff\xfe done"))
	})
	a = s.Send(context.Background(), Request{Hook: projectHook(small.URL), Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
	if a.ResponseBody != "ok \uFFFD done" {
		t.Errorf("body %q, want invalid UTF-8 replaced", a.ResponseBody)
	}
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	s := newTestSender(t)
	target := newReceiver(t, nil)
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusFound)
	})
	a := s.Send(context.Background(), Request{Hook: projectHook(rcv.URL), Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
	if a.StatusCode != http.StatusFound || !a.Success() {
		t.Errorf("status %d success %v, want 302 recorded as a success", a.StatusCode, a.Success())
	}
	if got := a.ResponseHeaders["Location"]; got != target.URL+"/elsewhere" {
		t.Errorf("Location = %q", got)
	}
	if n := len(target.requests()); n != 0 {
		t.Errorf("redirect target got %d requests, want 0", n)
	}
}

func TestSendTimeout(t *testing.T) {
	s := newTestSender(t)
	release := make(chan struct{})
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the receiver closes
	settings := localSettings()
	settings.WebhookTimeout = 1
	start := time.Now()
	a := s.Send(context.Background(), Request{Hook: projectHook(rcv.URL), Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: settings})
	elapsed := time.Since(start)
	if a.ResponseStatus() != InternalError || !errors.Is(a.Err, ErrTimeout) || a.Aborted() {
		t.Fatalf("status %q err %v aborted %v, want an internal error timeout", a.ResponseStatus(), a.Err, a.Aborted())
	}
	if want := "Request timed out after 1s (webhook_timeout)"; a.InternalErrorMessage != want {
		t.Errorf("message %q, want %q", a.InternalErrorMessage, want)
	}
	if elapsed < time.Second || elapsed > 5*time.Second {
		t.Errorf("took %v, want about the 1s timeout", elapsed)
	}
	if a.ExecutionDuration < time.Second {
		t.Errorf("ExecutionDuration %v, want at least the timeout", a.ExecutionDuration)
	}
	if len(rcv.requests()) != 1 {
		t.Errorf("receiver got %d requests, want 1", len(rcv.requests()))
	}
}

func TestSendAbortedByCaller(t *testing.T) {
	s := newTestSender(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	a := s.Send(ctx, Request{Hook: projectHook(rcv.URL), Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
	if !a.Aborted() || !errors.Is(a.Err, context.Canceled) {
		t.Errorf("err %v, want Aborted (context.Canceled)", a.Err)
	}
}

func TestSendConnectionRefused(t *testing.T) {
	s := newTestSender(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	a := s.Send(context.Background(), Request{Hook: projectHook("http://" + addr + "/"), Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
	want := "Failed to open TCP connection to " + addr + " (connect: connection refused)"
	if a.InternalErrorMessage != want || !errors.Is(a.Err, ErrRequest) {
		t.Errorf("message %q (%v), want %q", a.InternalErrorMessage, a.Err, want)
	}
	if len(a.RequestData) == 0 || a.RequestHeaders["X-Gitlab-Event"] != "Push Hook" {
		t.Errorf("failed attempt lost its request data or headers: %s %v", a.RequestData, a.RequestHeaders)
	}
}

func TestSendUnresolvableHost(t *testing.T) {
	s := newTestSender(t)
	a := s.Send(context.Background(), Request{Hook: projectHook("http://nowhere.invalid/"), Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
	if want := "Host cannot be resolved or invalid: nowhere.invalid (no such host)"; a.InternalErrorMessage != want {
		t.Errorf("message %q, want %q", a.InternalErrorMessage, want)
	}
}

func TestSendRequestBodyLimit(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	event := model.NewJSONObject()
	event.Set("object_kind", "push")
	event.Set("blob", strings.Repeat("x", MaxRequestBody))
	a := s.Send(context.Background(), Request{Hook: projectHook(rcv.URL), Trigger: trigger(t, "push_hooks"), Payload: s.NewPayload(event), Settings: localSettings()})
	if !errors.Is(a.Err, ErrTooLarge) || a.ResponseStatus() != InternalError {
		t.Fatalf("err %v status %q, want ErrTooLarge internal error", a.Err, a.ResponseStatus())
	}
	if !strings.Contains(a.InternalErrorMessage, "25 MiB") {
		t.Errorf("message %q does not name the limit", a.InternalErrorMessage)
	}
	if string(a.RequestData) != `{"oversize":true}` {
		t.Errorf("request data %.40s, want the oversize marker", a.RequestData)
	}
	if rcv.conns.Load() != 0 {
		t.Errorf("receiver saw %d connections, want none", rcv.conns.Load())
	}
}

func TestSendReusesConnections(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("z", 20<<10))) // more than is kept: drained
	})
	p := samplePayload(t, s, "push_hooks")
	for range 20 {
		if a := s.Send(context.Background(), Request{Hook: projectHook(rcv.URL), Trigger: trigger(t, "push_hooks"), Payload: p, Settings: localSettings()}); a.Err != nil {
			t.Fatal(a.Err)
		}
	}
	if n := rcv.conns.Load(); n != 1 {
		t.Errorf("20 sequential attempts opened %d connections, want 1", n)
	}
}

func TestAttemptLogDataIsJSON(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	for _, tr := range model.Triggers {
		p, ok := model.SamplePayload(tr)
		if !ok {
			continue
		}
		a := s.Send(context.Background(), Request{Hook: projectHook(rcv.URL), Trigger: tr, Payload: s.NewPayload(p), Settings: localSettings()})
		if a.Err != nil {
			t.Fatalf("%s: %v", tr.Scope, a.Err)
		}
		if !json.Valid(a.RequestData) {
			t.Errorf("%s: logged request data is not JSON", tr.Scope)
		}
	}
}

func TestNewRequiresOptions(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"version", Options{ExternalURL: testExternalURL, URLHashKey: testHashKey}},
		{"external URL", Options{Version: "1", URLHashKey: testHashKey}},
		{"hash key", Options{Version: "1", ExternalURL: testExternalURL}},
		{"missing cert file", Options{Version: "1", ExternalURL: testExternalURL, URLHashKey: testHashKey, ClientCertFile: "testdata/nope.pem"}},
	} {
		if _, err := New(tt.opts); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
}

func TestTruncateBytes(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"0123456789abc", 10, "0123456…"},
		{"ééééé", 8, "éé…"}, // never splits a character
		{"aééééé", 8, "aéé…"},
		{"aééééé", 7, "aé…"}, // cutting at byte 4 would split the second é
	}
	for _, tt := range tests {
		if got := truncateBytes(tt.in, tt.limit); got != tt.want || len(got) > tt.limit {
			t.Errorf("truncateBytes(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}

func TestSendIgnoresConnectionHeaders(t *testing.T) {
	// A custom Host header would send the token and secret headers to
	// another virtual host on the same address; hooks can no longer save
	// one, and one saved before is not sent, nor other connection-level
	// headers.
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	h := projectHook(rcv.URL)
	h.CustomHeaders = map[string]string{"Host": "virtual.example", "Connection": "close", "Proxy-Authorization": "Basic eA==", "X-Kept": "yes"}
	a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
	if a.Err != nil {
		t.Fatal(a.Err)
	}
	got := rcv.requests()[0]
	if want := strings.TrimPrefix(rcv.URL, "http://"); got.Host != want {
		t.Errorf("Host = %q, want %q", got.Host, want)
	}
	if got.Header.Get("Proxy-Authorization") != "" || got.Header.Get("X-Kept") != "yes" {
		t.Errorf("headers sent: %v", got.Header)
	}
	if _, ok := a.RequestHeaders["Host"]; ok {
		t.Errorf("logged a Host header: %v", a.RequestHeaders)
	}
}

// One Payload is shared by every hook of an event, sent from many workers
// at once (run with -race).
func TestSendSharedPayloadConcurrently(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	p := samplePayload(t, s, "issue_hooks")
	const workers, each = 8, 10
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := projectHook(rcv.URL)
			if w%2 == 1 {
				h.CustomWebhookTemplate = `{"title":"{{object_attributes.title}}","user":{{user}}}`
			}
			for range each {
				a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "issue_hooks"), Payload: p, Settings: localSettings()})
				if a.Err != nil || a.StatusCode != 200 {
					errs <- fmt.Errorf("status %d: %v", a.StatusCode, a.Err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(rcv.requests()); n != workers*each {
		t.Errorf("receiver got %d requests, want %d", n, workers*each)
	}
}

// A custom template that pastes a large field many times is stopped before
// its output is built and logged like any oversize body.
func TestSendTemplateOutputOverLimit(t *testing.T) {
	s := newTestSender(t)
	rcv := newReceiver(t, nil)
	event := model.NewJSONObject()
	event.Set("object_kind", "push")
	event.Set("big", strings.Repeat("x", 1<<20))
	h := projectHook(rcv.URL)
	h.CustomWebhookTemplate = `{"a":"` + strings.Repeat("{{big}}", 500) + `"}`
	payload := s.NewPayload(event)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: payload, Settings: localSettings()})
	runtime.ReadMemStats(&after)
	// The product would be 500 MiB; refusing it takes about the field once.
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("Send allocated %d bytes, want under 16 MiB", got)
	}
	if !errors.Is(a.Err, ErrTooLarge) || a.ResponseStatus() != InternalError {
		t.Fatalf("err %v status %q, want ErrTooLarge internal error", a.Err, a.ResponseStatus())
	}
	if !strings.HasPrefix(a.InternalErrorMessage, "Request body is too large") || !strings.Contains(a.InternalErrorMessage, "25 MiB") {
		t.Errorf("message %q, want the too-large message naming the limit", a.InternalErrorMessage)
	}
	if string(a.RequestData) != `{"oversize":true}` {
		t.Errorf("request data %.40s, want the oversize marker", a.RequestData)
	}
	if rcv.conns.Load() != 0 {
		t.Errorf("receiver saw %d connections, want none", rcv.conns.Load())
	}
}
