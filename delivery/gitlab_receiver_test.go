package delivery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"testing"

	"github.com/go-playground/webhooks/v6/gitlab"

	"github.com/hooklab/hooklab/model"
)

// A third-party receiver built with github.com/go-playground/webhooks
// checks the secret token and parses every event type it supports.
func TestSendToGoPlaygroundReceiver(t *testing.T) {
	const secret = "receiver-secret"
	parser, err := gitlab.New(gitlab.Options.Secret(secret))
	if err != nil {
		t.Fatal(err)
	}
	allEvents := []gitlab.Event{
		gitlab.PushEvents, gitlab.TagEvents, gitlab.IssuesEvents, gitlab.ConfidentialIssuesEvents,
		gitlab.CommentEvents, gitlab.ConfidentialCommentEvents, gitlab.MergeRequestEvents,
		gitlab.WikiPageEvents, gitlab.PipelineEvents, gitlab.BuildEvents, gitlab.JobEvents,
		gitlab.DeploymentEvents, gitlab.ReleaseEvents, gitlab.SystemHookEvents,
	}
	var (
		mu     sync.Mutex
		parsed any
		perr   error
	)
	rcv := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		p, err := parser.Parse(r, allEvents...)
		mu.Lock()
		parsed, perr = p, err
		mu.Unlock()
		switch {
		case errors.Is(err, gitlab.ErrGitLabTokenVerificationFailed):
			w.WriteHeader(http.StatusUnauthorized)
		case err != nil:
			w.WriteHeader(http.StatusBadRequest)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})

	s := newTestSender(t)
	tests := []struct {
		kind  model.HookKind
		scope string
		want  any // the payload type the library returns
	}{
		{model.ProjectHookKind, "push_hooks", gitlab.PushEventPayload{}},
		{model.ProjectHookKind, "tag_push_hooks", gitlab.TagEventPayload{}},
		{model.ProjectHookKind, "issue_hooks", gitlab.IssueEventPayload{}},
		{model.ProjectHookKind, "confidential_issue_hooks", gitlab.ConfidentialIssueEventPayload{}},
		{model.ProjectHookKind, "note_hooks", gitlab.CommentEventPayload{}},
		{model.ProjectHookKind, "confidential_note_hooks", gitlab.ConfidentialCommentEventPayload{}},
		{model.ProjectHookKind, "merge_request_hooks", gitlab.MergeRequestEventPayload{}},
		{model.ProjectHookKind, "wiki_page_hooks", gitlab.WikiPageEventPayload{}},
		{model.ProjectHookKind, "pipeline_hooks", gitlab.PipelineEventPayload{}},
		{model.ProjectHookKind, "job_hooks", gitlab.BuildEventPayload{}}, // Job Hook with object_kind "build"
		{model.GroupHookKind, "deployment_hooks", gitlab.DeploymentEventPayload{}},
		{model.GroupHookKind, "release_hooks", gitlab.ReleaseEventPayload{}},
		{model.SystemHookKind, "push_hooks", gitlab.PushEventPayload{}},
		{model.SystemHookKind, "tag_push_hooks", gitlab.TagEventPayload{}},
		{model.SystemHookKind, "merge_request_hooks", gitlab.MergeRequestEventPayload{}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.scope, func(t *testing.T) {
			h := projectHook(rcv.URL)
			h.Kind = tt.kind
			h.Token = secret
			a := s.Send(context.Background(), Request{
				Hook: h, Trigger: trigger(t, tt.scope), Payload: samplePayload(t, s, tt.scope),
				EventUUID: "0b4a5d3e-1c2f-4e6a-9b8d-7c6e5f4a3b2c", Settings: localSettings(),
			})
			mu.Lock()
			got, gotErr := parsed, perr
			mu.Unlock()
			if a.StatusCode != http.StatusOK || gotErr != nil {
				t.Fatalf("status %d (%v); library: %v", a.StatusCode, a.Err, gotErr)
			}
			if reflect.TypeOf(got) != reflect.TypeOf(tt.want) {
				t.Fatalf("library parsed a %T, want %T", got, tt.want)
			}
			sample, _ := model.SamplePayload(trigger(t, tt.scope))
			if kind := fieldString(got, "ObjectKind"); kind != sample.String("object_kind") {
				t.Errorf("parsed object_kind %q, want %q", kind, sample.String("object_kind"))
			}
		})
	}

	t.Run("wrong secret", func(t *testing.T) {
		h := projectHook(rcv.URL)
		h.Token = "not-the-secret"
		a := s.Send(context.Background(), Request{Hook: h, Trigger: trigger(t, "push_hooks"), Payload: samplePayload(t, s, "push_hooks"), Settings: localSettings()})
		mu.Lock()
		gotErr := perr
		mu.Unlock()
		if a.StatusCode != http.StatusUnauthorized || !errors.Is(gotErr, gitlab.ErrGitLabTokenVerificationFailed) {
			t.Errorf("status %d, library error %v; want the token check to fail", a.StatusCode, gotErr)
		}
	})
}

func fieldString(v any, name string) string {
	f := reflect.ValueOf(v).FieldByName(name)
	if !f.IsValid() {
		return fmt.Sprintf("<no field %s>", name)
	}
	return f.String()
}
