package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/go-playground/webhooks/v6/gitlab"
	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/hooklab/hooklab/model"
)

// Events published through the API reach a receiver built with
// github.com/go-playground/webhooks, which checks the secret token and
// parses each event type it knows; `hooklab publish` does the same from
// the command line while the server runs.
func TestPublishedEventsReachAGoPlaygroundReceiver(t *testing.T) {
	inst := startInstance(t)
	const secret = "e2e-receiver-secret"
	parser, err := gitlab.New(gitlab.Options.Secret(secret))
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		header  string
		payload any
		err     error
	}
	results := make(chan result, 32)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := parser.Parse(r, gitlab.PushEvents, gitlab.TagEvents, gitlab.IssuesEvents, gitlab.ConfidentialIssuesEvents,
			gitlab.CommentEvents, gitlab.MergeRequestEvents, gitlab.WikiPageEvents, gitlab.PipelineEvents,
			gitlab.JobEvents, gitlab.BuildEvents, gitlab.DeploymentEvents, gitlab.ReleaseEvents)
		results <- result{r.Header.Get("X-Gitlab-Event"), p, err}
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(rcv.Close)

	client := inst.client(t, "root")
	if _, _, err := client.Settings.UpdateSettings(&gl.UpdateSettingsOptions{AllowLocalRequestsFromWebHooksAndServices: gl.Ptr(true)}); err != nil {
		t.Fatal(err)
	}
	g, _, err := client.Groups.CreateGroup(&gl.CreateGroupOptions{Name: gl.Ptr("Acme"), Path: gl.Ptr("acme")})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := client.Projects.CreateProject(&gl.CreateProjectOptions{Name: gl.Ptr("API"), Path: gl.Ptr("api"), NamespaceID: gl.Ptr(g.ID)})
	if err != nil {
		t.Fatal(err)
	}
	yes := gl.Ptr(true)
	if _, _, err := client.Projects.AddProjectHook(p.ID, &gl.AddProjectHookOptions{
		URL: gl.Ptr(rcv.URL + "/hook"), Token: gl.Ptr(secret), PushEvents: yes, TagPushEvents: yes, IssuesEvents: yes,
		ConfidentialIssuesEvents: yes, NoteEvents: yes, MergeRequestsEvents: yes, WikiPageEvents: yes, PipelineEvents: yes,
		JobEvents: yes, DeploymentEvents: yes, ReleasesEvents: yes,
	}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		scope  string
		header string
		want   any
	}{
		{"push_hooks", "Push Hook", gitlab.PushEventPayload{}},
		{"tag_push_hooks", "Tag Push Hook", gitlab.TagEventPayload{}},
		{"issue_hooks", "Issue Hook", gitlab.IssueEventPayload{}},
		{"confidential_issue_hooks", "Confidential Issue Hook", gitlab.ConfidentialIssueEventPayload{}},
		{"note_hooks", "Note Hook", gitlab.CommentEventPayload{}},
		{"merge_request_hooks", "Merge Request Hook", gitlab.MergeRequestEventPayload{}},
		{"wiki_page_hooks", "Wiki Page Hook", gitlab.WikiPageEventPayload{}},
		{"pipeline_hooks", "Pipeline Hook", gitlab.PipelineEventPayload{}},
		{"job_hooks", "Job Hook", gitlab.BuildEventPayload{}},
		{"deployment_hooks", "Deployment Hook", gitlab.DeploymentEventPayload{}},
		{"release_hooks", "Release Hook", gitlab.ReleaseEventPayload{}},
	} {
		t.Run(tc.scope, func(t *testing.T) {
			body := sampleFor(t, client, tc.scope, "acme/api")
			req, err := client.NewRequest(http.MethodPost, "projects/acme%2Fapi/hook_events", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Body, req.ContentLength = nopCloser(body), int64(len(body))
			var out struct {
				Deliveries int `json:"deliveries"`
			}
			if _, err := client.Do(req, &out); err != nil || out.Deliveries != 1 {
				t.Fatalf("publish: %v, %d deliveries", err, out.Deliveries)
			}
			select {
			case r := <-results:
				if r.err != nil || r.header != tc.header || reflect.TypeOf(r.payload) != reflect.TypeOf(tc.want) {
					t.Fatalf("receiver: %s parsed as %T (%v); want %s as %T", r.header, r.payload, r.err, tc.header, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("nothing delivered")
			}
		})
	}

	t.Run("hooklab publish", func(t *testing.T) {
		tr, _ := model.TriggerByScope("push_hooks")
		body, _ := model.SampleJSON(tr)
		file := filepath.Join(t.TempDir(), "event.json")
		if err := os.WriteFile(file, body, 0o600); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		args := []string{"publish", "--project", "acme/api", "--file", file, "--data", inst.app.cfg.DataDir}
		if err := run(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("publish: %v\n%s", err, stderr.String())
		}
		var out struct {
			UUID       string `json:"event_uuid"`
			Deliveries int    `json:"deliveries"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || out.Deliveries != 1 || out.UUID == "" {
			t.Fatalf("output %q: %v", stdout.String(), err)
		}
		select {
		case r := <-results:
			if r.err != nil || r.header != "Push Hook" {
				t.Fatalf("receiver: %s (%v)", r.header, r.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the running server did not deliver what the command published")
		}
		for _, bad := range [][]string{
			{"publish", "--project", "acme/nothing", "--file", file, "--data", inst.app.cfg.DataDir},
			{"publish", "--project", "acme/api", "--data", inst.app.cfg.DataDir},
			{"publish", "--group", "acme", "--file", file, "--data", inst.app.cfg.DataDir},
		} {
			if err := run(context.Background(), bad, &stdout, &stderr); err == nil {
				t.Errorf("%v: no error", bad)
			}
		}
	})
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func nopCloser(b []byte) readCloser { return readCloser{bytes.NewReader(b)} }
