package model

// Trigger describes one kind of event a hook can subscribe to.
type Trigger struct {
	// Attribute is the hook's boolean field in the API and forms: "push_events".
	Attribute string
	// Scope is the internal name recorded as a log row's trigger: "push_hooks".
	Scope string
	// EventHeader is the X-Gitlab-Event value: "Push Hook".
	EventHeader string
	// Project and Group say which hook types offer the trigger.
	Project, Group bool
	// System says system hooks offer it.
	System bool
}

// Name is the human name shown in the UI ("Push Hook" → "Push events").
func (t Trigger) Name() string { return t.EventHeader }

// SystemHookEvent is the X-Gitlab-Event header of every system hook delivery.
const SystemHookEvent = "System Hook"

// Triggers lists every trigger in GitLab's order.
var Triggers = []Trigger{
	{"push_events", "push_hooks", "Push Hook", true, true, true},
	{"tag_push_events", "tag_push_hooks", "Tag Push Hook", true, true, true},
	{"issues_events", "issue_hooks", "Issue Hook", true, true, false},
	{"confidential_issues_events", "confidential_issue_hooks", "Confidential Issue Hook", true, true, false},
	{"note_events", "note_hooks", "Note Hook", true, true, false},
	{"confidential_note_events", "confidential_note_hooks", "Confidential Note Hook", true, true, false},
	{"merge_requests_events", "merge_request_hooks", "Merge Request Hook", true, true, true},
	{"job_events", "job_hooks", "Job Hook", true, true, false},
	{"pipeline_events", "pipeline_hooks", "Pipeline Hook", true, true, false},
	{"wiki_page_events", "wiki_page_hooks", "Wiki Page Hook", true, true, false},
	{"deployment_events", "deployment_hooks", "Deployment Hook", true, true, false},
	{"feature_flag_events", "feature_flag_hooks", "Feature Flag Hook", true, true, false},
	{"releases_events", "release_hooks", "Release Hook", true, true, false},
	{"milestone_events", "milestone_hooks", "Milestone Hook", true, true, false},
	{"emoji_events", "emoji_hooks", "Emoji Hook", true, true, false},
	{"resource_access_token_events", "resource_access_token_hooks", "Resource Access Token Hook", true, true, false},
	{"member_events", "member_hooks", "Member Hook", false, true, false},
	{"project_events", "project_hooks", "Project Hook", false, true, false},
	{"subgroup_events", "subgroup_hooks", "Subgroup Hook", false, true, false},
	// System hooks only.
	{"repository_update_events", "repository_update_hooks", "Repository Update Hook", false, false, true},
	// Appended later (the order is the stored bit order).
	{"vulnerability_events", "vulnerability_hooks", "Vulnerability Hook", true, true, false},
}

// TriggerByScope finds a trigger by its internal scope name.
func TriggerByScope(scope string) (Trigger, bool) {
	for _, t := range Triggers {
		if t.Scope == scope {
			return t, true
		}
	}
	return Trigger{}, false
}

// TriggerByAttribute finds a trigger by its attribute name.
func TriggerByAttribute(attr string) (Trigger, bool) {
	for _, t := range Triggers {
		if t.Attribute == attr {
			return t, true
		}
	}
	return Trigger{}, false
}
