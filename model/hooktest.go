package model

import (
	"strings"
)

// Test and Resend: where Test takes its sample data from, and
// the messages both answer with, as GitLab words them.
const (
	// TestNotAvailable answers a Test of a trigger that has no sample data.
	TestNotAvailable = "Testing not available for this hook"
	// ResendURLChanged refuses a Resend after the hook's destination changed.
	ResendURLChanged = "The hook URL has changed, and this log entry cannot be retried"
	// HookDisabled refuses a Resend while the hook is disabled.
	HookDisabled = "Hook disabled"
	// ResendOversize refuses a Resend of a request whose body was too large
	// to be logged (GitLab disables the button with this tooltip).
	ResendOversize = "Request data is too large"
	// TooManyRequests is the answer over the Test and Resend rate limits.
	TooManyRequests = "This endpoint has been requested too many times. Try again later."
)

// Resend's refusals, for errors.Is.
var (
	ErrResendURLChanged = &Error{Kind: ErrInvalid, Message: ResendURLChanged}
	ErrHookDisabled     = &Error{Kind: ErrInvalid, Message: HookDisabled}
	ErrResendOversize   = &Error{Kind: ErrInvalid, Message: ResendOversize}
)

// OversizeRequestData is what a log row keeps as the request body when the
// body was over the request limit (GitLab's OVERSIZE_REQUEST_DATA).
const OversizeRequestData = `{"oversize":true}`

// Oversize reports whether the logged body stands in for one too large to
// keep: such a request cannot be resent.
func (l *HookLog) Oversize() bool { return string(l.RequestData) == OversizeRequestData }

// TestSource says where Test takes a trigger's sample payload from.
type TestSource int

const (
	// TestUnavailable: the trigger cannot be tested.
	TestUnavailable TestSource = iota
	// TestFromEvents: the newest real event of the trigger published for
	// the hook's project (any project of a group hook's group; any of the
	// user's projects for a system hook).
	TestFromEvents
	// TestFromSample: GitLab's built-in sample data (system hooks' push,
	// tag push and repository update tests).
	TestFromSample
)

// TestPlan is how Test finds sample data for one trigger of one kind of
// hook.
type TestPlan struct {
	Source TestSource
	// Scopes are the event triggers to take the newest event of, in order
	// of preference (TestFromEvents).
	Scopes []string
	// Missing is the error when no such event exists yet.
	Missing string
	// GroupEvents says the events are group-level ones (project events),
	// published for the hook's group or a group below it.
	GroupEvents bool
}

// projectTestMissing are GitLab's TestHooks::ProjectService messages for a
// project without data of the kind; the triggers listed are the testable
// ones.
var projectTestMissing = map[string]string{
	"push_hooks":               "Ensure the project has at least one commit.",
	"tag_push_hooks":           "Ensure the project has at least one commit.",
	"issue_hooks":              "Ensure the project has issues.",
	"confidential_issue_hooks": "Ensure the project has issues.",
	"note_hooks":               "Ensure the project has notes.",
	"merge_request_hooks":      "Ensure the project has merge requests.",
	"job_hooks":                "Ensure the project has CI jobs.",
	"pipeline_hooks":           "Ensure the project has CI pipelines.",
	"wiki_page_hooks":          "Ensure the wiki is enabled and has pages.",
	"release_hooks":            "Ensure the project has releases.",
	// Tested with the newest published event too (GitLab builds these from
	// the project's notes, access tokens and vulnerabilities).
	"emoji_hooks":                 "Ensure the project has notes.",
	"resource_access_token_hooks": "Ensure the project has access tokens.",
	"vulnerability_hooks":         "Ensure the project has vulnerabilities.",
}

// TestPlanFor says how Test of trigger t works for hooks of kind k. Project
// and group hooks test with real events; system hooks follow GitLab's
// TestHooks::SystemService: built-in samples for pushes, tag pushes and
// repository updates, a real merge request of the user's projects.
func TestPlanFor(k HookKind, t Trigger) TestPlan {
	if !k.Offers(t) {
		return TestPlan{}
	}
	if k == SystemHookKind {
		switch t.Scope {
		case "push_hooks", "tag_push_hooks", "repository_update_hooks":
			return TestPlan{Source: TestFromSample}
		case "merge_request_hooks":
			return TestPlan{Source: TestFromEvents, Scopes: []string{t.Scope},
				Missing: "Ensure one of your projects has merge requests."}
		}
		return TestPlan{}
	}
	if t.Scope == "project_hooks" {
		return TestPlan{Source: TestFromEvents, Scopes: []string{t.Scope}, GroupEvents: true,
			Missing: "Ensure the group has projects."}
	}
	missing, ok := projectTestMissing[t.Scope]
	if !ok {
		return TestPlan{}
	}
	scopes := []string{t.Scope}
	if t.Scope == "confidential_issue_hooks" {
		// GitLab tests confidential issue hooks with any issue.
		scopes = append(scopes, "issue_hooks")
	}
	return TestPlan{Source: TestFromEvents, Scopes: scopes, Missing: missing}
}

// TestableTriggers are the triggers of kind k that Test offers, in
// GitLab's order.
func TestableTriggers(k HookKind) []Trigger {
	var out []Trigger
	for _, t := range k.Triggers() {
		if TestPlanFor(k, t).Source != TestUnavailable {
			out = append(out, t)
		}
	}
	return out
}

// SystemHookTestTrigger is the trigger of the system hooks API's own test
// (POST /hooks/:id): GitLab sends its project_create sample under the
// trigger "system_hooks".
var SystemHookTestTrigger = Trigger{Scope: "system_hooks", EventHeader: SystemHookEvent, System: true}

// SystemHookTestData is the body of that test, in GitLab's key order.
const SystemHookTestData = `{"event_name":"project_create","name":"Ruby","path":"ruby","project_id":1,` +
	`"owner_name":"Someone","owner_email":"example@gitlabhq.com"}`

// TriggerForScope returns the trigger a log row names; a scope that is
// not a subscription trigger (GitLab's "system_hooks") gets its event name
// the way GitLab derives it.
func TriggerForScope(scope string) Trigger {
	if t, ok := TriggerByScope(scope); ok {
		return t
	}
	if scope == SystemHookTestTrigger.Scope {
		return SystemHookTestTrigger
	}
	return Trigger{Scope: scope, EventHeader: TriggerTitle(scope)}
}

// TriggerTitle is a log row's trigger as recent events show it: GitLab's
// trigger.singularize.titleize ("push_hooks" → "Push Hook").
func TriggerTitle(scope string) string {
	if t, ok := TriggerByScope(scope); ok {
		return t.EventHeader
	}
	words := strings.Split(strings.TrimSuffix(scope, "s"), "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// Status classes of recent events, for the edit page's filter.
const (
	StatusClassSuccess       = "success"
	StatusClassClientError   = "client_error"
	StatusClassServerError   = "server_error"
	StatusClassInternalError = "internal_error"
)

// StatusClasses are the filter's choices in display order.
var StatusClasses = []string{StatusClassSuccess, StatusClassClientError, StatusClassServerError, StatusClassInternalError}

// Failed reports whether recent events show the attempt as failed (a red
// badge): anything but a 2xx answer.
func (l *HookLog) Failed() bool {
	c := l.StatusCode()
	return c < 200 || c >= 300
}
