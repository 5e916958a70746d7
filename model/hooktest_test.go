package model

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestTestableTriggers(t *testing.T) {
	attrs := func(ts []Trigger) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Attribute)
		}
		return out
	}
	project := []string{"push_events", "tag_push_events", "issues_events", "confidential_issues_events",
		"note_events", "merge_requests_events", "job_events", "pipeline_events", "wiki_page_events", "releases_events",
		"emoji_events", "resource_access_token_events", "vulnerability_events"}
	group := []string{"push_events", "tag_push_events", "issues_events", "confidential_issues_events",
		"note_events", "merge_requests_events", "job_events", "pipeline_events", "wiki_page_events", "releases_events",
		"emoji_events", "resource_access_token_events", "project_events", "vulnerability_events"}
	for _, tc := range []struct {
		kind HookKind
		want []string
	}{
		{ProjectHookKind, project},
		{GroupHookKind, group},
		{SystemHookKind, []string{"push_events", "tag_push_events", "merge_requests_events", "repository_update_events"}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			if got := attrs(TestableTriggers(tc.kind)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTestPlanFor(t *testing.T) {
	trig := func(attr string) Trigger {
		tr, ok := TriggerByAttribute(attr)
		if !ok {
			t.Fatalf("no trigger %s", attr)
		}
		return tr
	}
	for _, tc := range []struct {
		kind    HookKind
		attr    string
		source  TestSource
		scopes  []string
		missing string
	}{
		{ProjectHookKind, "push_events", TestFromEvents, []string{"push_hooks"}, "Ensure the project has at least one commit."},
		{ProjectHookKind, "tag_push_events", TestFromEvents, []string{"tag_push_hooks"}, "Ensure the project has at least one commit."},
		{ProjectHookKind, "confidential_issues_events", TestFromEvents, []string{"confidential_issue_hooks", "issue_hooks"}, "Ensure the project has issues."},
		{ProjectHookKind, "wiki_page_events", TestFromEvents, []string{"wiki_page_hooks"}, "Ensure the wiki is enabled and has pages."},
		{GroupHookKind, "releases_events", TestFromEvents, []string{"release_hooks"}, "Ensure the project has releases."},
		{ProjectHookKind, "confidential_note_events", TestUnavailable, nil, ""},
		{ProjectHookKind, "deployment_events", TestUnavailable, nil, ""},
		{ProjectHookKind, "feature_flag_events", TestUnavailable, nil, ""},
		{GroupHookKind, "member_events", TestUnavailable, nil, ""},
		{GroupHookKind, "subgroup_events", TestUnavailable, nil, ""},
		{ProjectHookKind, "member_events", TestUnavailable, nil, ""}, // not a project hook trigger
		{ProjectHookKind, "emoji_events", TestFromEvents, []string{"emoji_hooks"}, "Ensure the project has notes."},
		{GroupHookKind, "resource_access_token_events", TestFromEvents, []string{"resource_access_token_hooks"}, "Ensure the project has access tokens."},
		{ProjectHookKind, "vulnerability_events", TestFromEvents, []string{"vulnerability_hooks"}, "Ensure the project has vulnerabilities."},
		{GroupHookKind, "project_events", TestFromEvents, []string{"project_hooks"}, "Ensure the group has projects."},
		{SystemHookKind, "push_events", TestFromSample, nil, ""},
		{SystemHookKind, "repository_update_events", TestFromSample, nil, ""},
		{SystemHookKind, "merge_requests_events", TestFromEvents, []string{"merge_request_hooks"}, "Ensure one of your projects has merge requests."},
		{SystemHookKind, "issues_events", TestUnavailable, nil, ""},
	} {
		t.Run(string(tc.kind)+"/"+tc.attr, func(t *testing.T) {
			got := TestPlanFor(tc.kind, trig(tc.attr))
			if got.Source != tc.source || !slices.Equal(got.Scopes, tc.scopes) || got.Missing != tc.missing {
				t.Errorf("got %+v, want source %d, scopes %v, missing %q", got, tc.source, tc.scopes, tc.missing)
			}
		})
	}
}

func TestTriggerTitle(t *testing.T) {
	for scope, want := range map[string]string{
		"push_hooks":                  "Push Hook",
		"merge_request_hooks":         "Merge Request Hook",
		"resource_access_token_hooks": "Resource Access Token Hook",
		"system_hooks":                "System Hook",
		"repository_update_hooks":     "Repository Update Hook",
	} {
		if got := TriggerTitle(scope); got != want {
			t.Errorf("TriggerTitle(%q) = %q, want %q", scope, got, want)
		}
	}
	if got := TriggerForScope("system_hooks"); got.EventHeader != SystemHookEvent {
		t.Errorf("system_hooks event header %q, want %q", got.EventHeader, SystemHookEvent)
	}
}

func TestSystemHookTestDataIsGitLabs(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal([]byte(SystemHookTestData), &m); err != nil {
		t.Fatal(err)
	}
	if m["event_name"] != "project_create" || m["project_id"] != float64(1) || len(m) != 6 {
		t.Errorf("got %v", m)
	}
}

func TestHookLogFailedAndOversize(t *testing.T) {
	for status, failed := range map[string]bool{"200": false, "204": false, "302": true, "404": true, "500": true, InternalErrorStatus: true} {
		l := HookLog{ResponseStatus: status}
		if l.Failed() != failed {
			t.Errorf("%s: Failed() = %v, want %v", status, l.Failed(), failed)
		}
	}
	if l := (HookLog{RequestData: []byte(OversizeRequestData)}); !l.Oversize() {
		t.Error("oversize body not recognised")
	}
}
