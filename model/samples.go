package model

import (
	"embed"
	"fmt"
)

// The samples are GitLab's documented webhook payload examples
// (doc/user/project/integrations/webhook_events.md and system_hooks.md),
// made valid JSON where the docs annotate them with comments. Third-party
// receivers are written against exactly these shapes.
//
//go:embed samples/*.json
var sampleFiles embed.FS

// sampleKinds maps a trigger scope to the sample file (by kind) it starts
// from; the confidential scopes are derived in SamplePayload.
var sampleKinds = map[string]string{
	"push_hooks":                  KindPush,
	"tag_push_hooks":              KindTagPush,
	"issue_hooks":                 KindIssue,
	"confidential_issue_hooks":    KindIssue,
	"note_hooks":                  KindNote,
	"confidential_note_hooks":     KindNote,
	"merge_request_hooks":         KindMergeRequest,
	"job_hooks":                   KindBuild,
	"pipeline_hooks":              KindPipeline,
	"wiki_page_hooks":             KindWikiPage,
	"deployment_hooks":            KindDeployment,
	"feature_flag_hooks":          KindFeatureFlag,
	"release_hooks":               KindRelease,
	"milestone_hooks":             KindMilestone,
	"emoji_hooks":                 KindEmoji,
	"resource_access_token_hooks": KindAccessToken,
	"member_hooks":                KindMember,
	"project_hooks":               KindProject,
	"subgroup_hooks":              KindSubgroup,
	"repository_update_hooks":     KindRepositoryUpdate,
	"vulnerability_hooks":         KindVulnerability,
}

// SampleKindPayload returns a fresh copy of the sample payload for an event
// kind ("push", "build", "member", ...).
func SampleKindPayload(kind string) (*JSONObject, bool) {
	data, err := sampleFiles.ReadFile("samples/" + kind + ".json")
	if err != nil {
		return nil, false
	}
	p, err := ParsePayload(data)
	if err != nil {
		panic(fmt.Sprintf("model: embedded sample %s.json is invalid: %v", kind, err))
	}
	return p, true
}

// SamplePayload returns a fresh copy of a GitLab-shaped sample payload that
// fires trigger t: for the confidential issue and note triggers, the issue
// sample made confidential and the note sample on a confidential issue, with
// event_type set as GitLab sets it. Callers may modify the result.
func SamplePayload(t Trigger) (*JSONObject, bool) {
	kind, ok := sampleKinds[t.Scope]
	if !ok {
		return nil, false
	}
	p, ok := SampleKindPayload(kind)
	if !ok {
		return nil, false
	}
	switch t.Scope {
	case "confidential_issue_hooks":
		p.Set("event_type", "confidential_issue")
		p.Object("object_attributes").Set("confidential", true)
	case "confidential_note_hooks":
		p.Set("event_type", "confidential_note")
		p.Object("issue").Set("confidential", true)
	}
	return p, true
}

// SampleJSON returns the sample payload for trigger t encoded compactly.
func SampleJSON(t Trigger) ([]byte, bool) {
	p, ok := SamplePayload(t)
	if !ok {
		return nil, false
	}
	b, err := EncodeJSON(p)
	if err != nil {
		return nil, false
	}
	return b, true
}
