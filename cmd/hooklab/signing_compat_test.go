package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-retryablehttp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	gitlab "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/model"
)

// withJSONField sets one field of a request's JSON body: client-go v1.46's
// hook options have no signing_token, though GitLab 19's API takes it.
func withJSONField(key string, value any) gitlab.RequestOptionFunc {
	return func(req *retryablehttp.Request) error {
		body, err := req.BodyBytes()
		if err != nil {
			return err
		}
		m := map[string]any{}
		if len(body) > 0 {
			if err := json.Unmarshal(body, &m); err != nil {
				return err
			}
		}
		m[key] = value
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		return req.SetBody(b)
	}
}

// signedDelivery is one request a verifying receiver got.
type signedDelivery struct {
	path, event, id, idempotencyKey, signature string
	// verified is the Standard Webhooks library's verdict on the request as
	// it came; tamperedVerified its verdict on the body with one byte
	// changed.
	verified, tamperedVerified error
}

// verifyingReceiver checks every request with the Standard Webhooks Go
// library, using the signing token of the hook its path names.
type verifyingReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	secrets map[string]string // path → signing token
	got     []signedDelivery
}

func newVerifyingReceiver(t *testing.T, secrets map[string]string) *verifyingReceiver {
	t.Helper()
	r := &verifyingReceiver{secrets: secrets}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		d := signedDelivery{
			path: req.URL.Path, event: req.Header.Get("X-Gitlab-Event"), id: req.Header.Get("webhook-id"),
			idempotencyKey: req.Header.Get("Idempotency-Key"), signature: req.Header.Get("webhook-signature"),
		}
		wh, err := standardwebhooks.NewWebhook(r.secrets[req.URL.Path])
		if err != nil {
			d.verified, d.tamperedVerified = err, err
		} else {
			d.verified = wh.Verify(body, req.Header)
			tampered := append([]byte(nil), body...)
			tampered[len(tampered)/2] ^= 0x01
			d.tamperedVerified = wh.Verify(tampered, req.Header)
		}
		r.mu.Lock()
		r.got = append(r.got, d)
		r.mu.Unlock()
		if d.verified != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *verifyingReceiver) deliveries() []signedDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]signedDelivery(nil), r.got...)
}

// checkSigned fails the test for every delivery that does not verify, or
// whose tampered body does.
func checkSigned(t *testing.T, ds []signedDelivery) {
	t.Helper()
	for _, d := range ds {
		if d.verified != nil {
			t.Errorf("%s %s: signature does not verify: %v", d.path, d.event, d.verified)
		}
		if d.tamperedVerified == nil {
			t.Errorf("%s %s: a body changed by one byte verifies", d.path, d.event)
		}
		if d.id == "" || d.id != d.idempotencyKey {
			t.Errorf("%s %s: webhook-id %q, Idempotency-Key %q", d.path, d.event, d.id, d.idempotencyKey)
		}
	}
}

// Signing tokens (GitLab 19, Standard Webhooks): a receiver verifies every
// event type a group hook gets, a system hook's push, a Test and a Resend
// with the Standard Webhooks Go library, and rejects a body changed by one
// byte. The token is never returned, logged or kept in the clear.
func TestClientGoSigningTokens(t *testing.T) {
	inst := startInstance(t)
	rec := &recorder{}
	gl, err := gitlab.NewClient(inst.token(t, "root"), gitlab.WithBaseURL(inst.URL+"/api/v4"),
		gitlab.WithHTTPClient(&http.Client{Transport: rec}), gitlab.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gl.Settings.UpdateSettings(&gitlab.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gitlab.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	groupToken, systemToken := model.NewSigningToken(), model.NewSigningToken()
	rcv := newVerifyingReceiver(t, map[string]string{"/group": groupToken, "/system": systemToken})

	acme, _, err := gl.Groups.CreateGroup(&gitlab.CreateGroupOptions{Name: gitlab.Ptr("Acme"), Path: gitlab.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	proj, _, err := gl.Projects.CreateProject(&gitlab.CreateProjectOptions{Name: gitlab.Ptr("API"), Path: gitlab.Ptr("api"), NamespaceID: gitlab.Ptr(acme.ID)})
	if err != nil {
		t.Fatal(err)
	}

	// Anything but whsec_ and the base64 of 32 bytes is a 422.
	for _, bad := range []string{"s3cret", "whsec_" + strings.Repeat("A", 43), "whsec_c2hvcnQ=", strings.TrimPrefix(groupToken, "whsec_")} {
		_, resp, err := gl.Projects.AddProjectHook(proj.ID, &gitlab.AddProjectHookOptions{URL: gitlab.Ptr(rcv.URL + "/bad")},
			withJSONField("signing_token", bad))
		if err == nil || resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "Invalid signing token given") {
			t.Fatalf("signing_token %q: %v", bad, err)
		}
	}

	// A group hook on every trigger; it gets every project event too.
	opts := &gitlab.AddGroupHookOptions{URL: gitlab.Ptr(rcv.URL + "/group")}
	allTriggers := map[string]any{}
	for _, tr := range model.GroupHookKind.Triggers() {
		allTriggers[tr.Attribute] = true
	}
	gh, _, err := gl.Groups.AddGroupHook(acme.ID, opts, withJSONField("signing_token", groupToken), func(req *retryablehttp.Request) error {
		for k, v := range allTriggers {
			if err := withJSONField(k, v)(req); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("AddGroupHook: %v", err)
	}
	if _, _, err := gl.SystemHooks.AddHook(&gitlab.AddHookOptions{URL: gitlab.Ptr(rcv.URL + "/system"), PushEvents: gitlab.Ptr(true)},
		withJSONField("signing_token", systemToken)); err != nil {
		t.Fatalf("AddHook: %v", err)
	}
	var entity map[string]any
	req, _ := gl.NewRequest(http.MethodGet, "groups/"+itoa(acme.ID)+"/hooks/"+itoa(gh.ID), nil, nil)
	if _, err := gl.Do(req, &entity); err != nil {
		t.Fatal(err)
	}
	if entity["signing_token_present"] != true || entity["token_present"] != false {
		t.Fatalf("hook entity: signing_token_present %v, token_present %v", entity["signing_token_present"], entity["token_present"])
	}

	// Every event type, published as GitLab's samples.
	want := 0
	for _, tr := range model.GroupHookKind.Triggers() {
		if _, ok := model.SampleJSON(tr); !ok {
			t.Fatalf("no sample for %s", tr.Scope)
		}
		path := "projects/" + itoa(proj.ID) + "/hook_events"
		body := sampleFor(t, gl, tr.Scope, proj.PathWithNamespace)
		if !tr.Project {
			path = "groups/" + itoa(acme.ID) + "/hook_events"
			body = groupSampleFor(t, gl, tr.Scope, acme.FullPath)
		}
		req, err := gl.NewRequest(http.MethodPost, path, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Body, req.ContentLength = nopCloser(body), int64(len(body))
		if _, err := gl.Do(req, nil); err != nil {
			t.Fatalf("publish %s: %v", tr.Scope, err)
		}
		want++
		if tr.Attribute == "push_events" {
			want++ // and the system hook
		}
	}
	waitFor(t, "every published event at the receiver", func() bool { return len(rcv.deliveries()) >= want })
	got := rcv.deliveries()
	events := map[string]bool{}
	for _, d := range got {
		events[d.path+" "+d.event] = true
	}
	if len(got) != want || len(events) != want {
		t.Fatalf("receiver got %d deliveries (%d distinct), want %d: %v", len(got), len(events), want, events)
	}
	checkSigned(t, got)

	// A Test and a Resend are signed afresh.
	if _, err := gl.Groups.TriggerTestGroupHook(acme.ID, gh.ID, gitlab.GroupHookTriggerPush); err != nil {
		t.Fatalf("TriggerTestGroupHook: %v", err)
	}
	logged, _, err := listHookEvents(t, gl, "groups/"+itoa(acme.ID)+"/hooks/"+itoa(gh.ID)+"/events", "")
	if err != nil || len(logged) == 0 {
		t.Fatalf("events: %v", err)
	}
	if _, err := gl.Groups.ResendGroupHookEvent(acme.ID, gh.ID, logged[len(logged)-1].ID); err != nil {
		t.Fatalf("ResendGroupHookEvent: %v", err)
	}
	after := rcv.deliveries()
	if len(after) != want+2 {
		t.Fatalf("receiver got %d deliveries after Test and Resend, want %d", len(after), want+2)
	}
	checkSigned(t, after[want:])
	resent := after[want+1]
	if resent.idempotencyKey != logged[len(logged)-1].RequestHeaders["Idempotency-Key"] {
		t.Errorf("resend: Idempotency-Key %q, logged %q", resent.idempotencyKey, logged[len(logged)-1].RequestHeaders["Idempotency-Key"])
	}

	// Recent events show the signature as sent (a digest, not redacted).
	logged, _, _ = listHookEvents(t, gl, "groups/"+itoa(acme.ID)+"/hooks/"+itoa(gh.ID)+"/events", "")
	if sig := logged[0].RequestHeaders["Webhook-Signature"]; sig != resent.signature || !strings.HasPrefix(sig, "v1,") {
		t.Errorf("logged Webhook-Signature %q, sent %q", sig, resent.signature)
	}

	// Removing the token stops the signing.
	if _, _, err := gl.Groups.EditGroupHook(acme.ID, gh.ID, &gitlab.EditGroupHookOptions{}, withJSONField("signing_token", "")); err != nil {
		t.Fatalf("EditGroupHook: %v", err)
	}
	// (The receiver answers 401 to an unsigned request.)
	if _, err := gl.Groups.TriggerTestGroupHook(acme.ID, gh.ID, gitlab.GroupHookTriggerPush); err == nil || !strings.Contains(err.Error(), "returned HTTP 401") {
		t.Fatalf("TriggerTestGroupHook without a signing token: %v", err)
	}
	if last := rcv.deliveries()[want+2]; last.signature != "" || last.id != "" {
		t.Errorf("after removing the signing token: webhook-signature %q, webhook-id %q", last.signature, last.id)
	}

	// Never returned, logged or stored in the clear.
	for _, secret := range []string{groupToken, systemToken, strings.TrimPrefix(groupToken, "whsec_")} {
		if strings.Contains(rec.String(), secret) {
			t.Errorf("an API response holds the signing token")
		}
		if strings.Contains(inst.logs.String(), secret) {
			t.Errorf("the server log holds the signing token")
		}
	}
	inst.stop()
	dbFile := filepath.Join(inst.app.cfg.DataDir, "hooklab.db")
	for _, f := range []string{dbFile, dbFile + "-wal"} {
		b, _ := os.ReadFile(f)
		for _, secret := range []string{groupToken, systemToken} {
			if bytes.Contains(b, []byte(strings.TrimPrefix(secret, "whsec_"))) {
				t.Errorf("%s holds a signing token in the clear", f)
			}
		}
	}
}
