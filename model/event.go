package model

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Event kinds: a payload's object_kind, or for GitLab's group-level events
// (which carry no object_kind) the kind their event_name belongs to.
const (
	KindPush             = "push"
	KindTagPush          = "tag_push"
	KindIssue            = "issue"
	KindWorkItem         = "work_item"
	KindNote             = "note"
	KindMergeRequest     = "merge_request"
	KindBuild            = "build"
	KindPipeline         = "pipeline"
	KindWikiPage         = "wiki_page"
	KindDeployment       = "deployment"
	KindFeatureFlag      = "feature_flag"
	KindRelease          = "release"
	KindMilestone        = "milestone"
	KindEmoji            = "emoji"
	KindAccessToken      = "access_token"
	KindMember           = "member"
	KindProject          = "project"
	KindSubgroup         = "subgroup"
	KindRepositoryUpdate = "repository_update"
	KindVulnerability    = "vulnerability"
)

// kindScopes maps an object_kind to the hook scope it fires. Issues and notes
// switch to their confidential scope in EventTrigger.
var kindScopes = map[string]string{
	KindPush:         "push_hooks",
	KindTagPush:      "tag_push_hooks",
	KindIssue:        "issue_hooks",
	KindWorkItem:     "issue_hooks", // GitLab routes work items through issue hooks
	KindNote:         "note_hooks",
	KindMergeRequest: "merge_request_hooks",
	KindBuild:        "job_hooks",
	KindPipeline:     "pipeline_hooks",
	KindWikiPage:     "wiki_page_hooks",
	KindDeployment:   "deployment_hooks",
	KindFeatureFlag:  "feature_flag_hooks",
	KindRelease:      "release_hooks",
	KindMilestone:    "milestone_hooks",
	KindEmoji:        "emoji_hooks",
	KindAccessToken:  "resource_access_token_hooks",
	KindMember:       "member_hooks",
	KindProject:      "project_hooks",
	KindSubgroup:     "subgroup_hooks",
	// GitLab's vulnerability webhook (security findings, GitLab 17.7).
	KindVulnerability: "vulnerability_hooks",
}

// eventNameKinds maps the event_name of payloads that have no object_kind
// (GitLab's group member, project and subgroup hooks, and the system hook
// repository update) to their kind.
var eventNameKinds = map[string]string{
	"user_add_to_group":                    KindMember,
	"user_update_for_group":                KindMember,
	"user_remove_from_group":               KindMember,
	"user_access_request_to_group":         KindMember,
	"user_access_request_denied_for_group": KindMember,
	"project_create":                       KindProject,
	"project_destroy":                      KindProject,
	"subgroup_create":                      KindSubgroup,
	"subgroup_destroy":                     KindSubgroup,
	"repository_update":                    KindRepositoryUpdate,
}

// EventKinds lists the object_kind values ParseEvent accepts, in GitLab's
// trigger order.
var EventKinds = []string{
	KindPush, KindTagPush, KindIssue, KindWorkItem, KindNote, KindMergeRequest, KindBuild,
	KindPipeline, KindWikiPage, KindDeployment, KindFeatureFlag, KindRelease, KindMilestone,
	KindEmoji, KindAccessToken, KindMember, KindProject, KindSubgroup, KindVulnerability,
}

// Event is a published payload with the trigger it fires.
type Event struct {
	// Kind is the object_kind, or the kind derived from event_name.
	Kind string
	// Name is the payload's event_name, if any ("user_add_to_group").
	Name string
	// Trigger is the hook trigger this event fires.
	Trigger Trigger
	// Payload is the decoded body, key order kept.
	Payload *JSONObject
	// Raw is the body as it arrived, compacted (whitespace between tokens
	// removed), when parsed from bytes.
	Raw []byte
}

// ParsePayload decodes a JSON body that must be an object.
func ParsePayload(data []byte) (*JSONObject, error) {
	obj, _, err := ParsePayloadRaw(data)
	return obj, err
}

// ParsePayloadRaw is ParsePayload that also returns data compacted: data
// itself when it has no whitespace between tokens (the usual case), so a
// caller keeping the bytes need not compact them in another pass.
func ParsePayloadRaw(data []byte) (*JSONObject, []byte, error) {
	v, compact, err := decodeJSON(data)
	if err != nil {
		return nil, nil, BadRequest("event payload is not valid JSON: %v", err)
	}
	obj, ok := v.(*JSONObject)
	if !ok {
		return nil, nil, BadRequest("event payload must be a JSON object")
	}
	raw := data
	if !compact {
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			return nil, nil, BadRequest("event payload is not valid JSON: %v", err)
		}
		raw = buf.Bytes()
	}
	return obj, raw, nil
}

// ParseEvent decodes a GitLab-shaped payload and works out which trigger it
// fires. A payload of an unknown kind is a BadRequest error.
func ParseEvent(data []byte) (*Event, error) {
	p, raw, err := ParsePayloadRaw(data)
	if err != nil {
		return nil, err
	}
	ev, err := NewEvent(p)
	if err != nil {
		return nil, err
	}
	ev.Raw = raw
	return ev, nil
}

// NewEvent classifies an already decoded payload.
func NewEvent(p *JSONObject) (*Event, error) {
	kind, err := EventKind(p)
	if err != nil {
		return nil, err
	}
	t, _ := TriggerByScope(eventScope(kind, p))
	return &Event{Kind: kind, Name: p.String("event_name"), Trigger: t, Payload: p}, nil
}

// EventKind returns the payload's kind: its object_kind, or, for payloads
// without one, the kind its event_name belongs to.
func EventKind(p *JSONObject) (string, error) {
	kindValue, hasKind := p.Get("object_kind")
	name := p.String("event_name")
	if hasKind && kindValue != nil {
		kind, ok := kindValue.(string)
		if !ok {
			return "", BadRequest("object_kind must be a string")
		}
		if _, ok := kindScopes[kind]; !ok {
			return "", BadRequest("unknown object_kind %q: expected one of %s", kind, strings.Join(EventKinds, ", "))
		}
		return kind, nil
	}
	if name == "" {
		return "", BadRequest("event payload has neither object_kind nor event_name")
	}
	kind, ok := eventNameKinds[name]
	if !ok {
		return "", BadRequest("unknown event_name %q: expected an object_kind, or one of %s", name, strings.Join(knownEventNames(), ", "))
	}
	return kind, nil
}

func knownEventNames() []string {
	// Listed explicitly so the message is stable.
	return []string{
		"user_add_to_group", "user_update_for_group", "user_remove_from_group",
		"user_access_request_to_group", "user_access_request_denied_for_group",
		"project_create", "project_destroy", "subgroup_create", "subgroup_destroy",
		"repository_update",
	}
}

// EventTrigger returns the trigger a payload fires.
func EventTrigger(p *JSONObject) (Trigger, error) {
	kind, err := EventKind(p)
	if err != nil {
		return Trigger{}, err
	}
	t, _ := TriggerByScope(eventScope(kind, p))
	return t, nil
}

func eventScope(kind string, p *JSONObject) string {
	switch kind {
	case KindIssue, KindWorkItem:
		if IssueConfidential(p) {
			return "confidential_issue_hooks"
		}
	case KindNote:
		if NoteConfidential(p) {
			return "confidential_note_hooks"
		}
	case KindRepositoryUpdate:
		return "repository_update_hooks"
	}
	return kindScopes[kind]
}

// IssueConfidential reports whether an issue payload is about a confidential
// issue. GitLab picks confidential_issue_hooks when issue.confidential? and
// then sets event_type to "confidential_issue"; either marks it.
func IssueConfidential(p *JSONObject) bool {
	return p.Bool("object_attributes", "confidential") || p.String("event_type") == "confidential_issue"
}

// NoteConfidential reports whether a note payload goes to confidential note
// hooks. GitLab (Notes::PostProcessService) uses
// note.confidential?(include_noteable: true): the note itself is internal
// (object_attributes.internal, formerly confidential), or its noteable is a
// confidential issue (the payload's issue.confidential). GitLab then sets
// event_type to "confidential_note"; that marks it too.
func NoteConfidential(p *JSONObject) bool {
	return p.Bool("object_attributes", "internal") ||
		p.Bool("object_attributes", "confidential") ||
		p.Bool("issue", "confidential") ||
		p.String("event_type") == "confidential_note"
}

// Branch returns the branch a push event is about, from its ref.
func (e *Event) Branch() (string, bool) {
	if e.Kind != KindPush {
		return "", false
	}
	return BranchName(e.Payload.String("ref"))
}

const (
	branchRefPrefix = "refs/heads/"
	tagRefPrefix    = "refs/tags/"
)

// BranchName returns the branch name of a ref: "refs/heads/feature/x" →
// "feature/x". Other refs (tags, bare names) report false.
func BranchName(ref string) (string, bool) {
	name, ok := strings.CutPrefix(ref, branchRefPrefix)
	if !ok || name == "" {
		return "", false
	}
	return name, true
}

// TagName returns the tag name of a ref: "refs/tags/v1.0" → "v1.0".
func TagName(ref string) (string, bool) {
	name, ok := strings.CutPrefix(ref, tagRefPrefix)
	if !ok || name == "" {
		return "", false
	}
	return name, true
}

// BlankRef is the object ID git uses for "no commit": a ref created by a
// push has it as before, a removed ref as after.
const BlankRef = "0000000000000000000000000000000000000000"

// IsBlankRef reports whether rev is all zeros (SHA-1 or SHA-256 length).
func IsBlankRef(rev string) bool {
	if rev == "" {
		return false
	}
	for _, c := range rev {
		if c != '0' {
			return false
		}
	}
	return true
}

// RefAction is what a push did to one ref.
type RefAction string

const (
	RefCreated RefAction = "created"
	RefRemoved RefAction = "removed"
	RefPushed  RefAction = "pushed"
)

// RefType says whether a ref change is to a branch or a tag.
type RefType string

const (
	RefBranch RefType = "branch"
	RefTag    RefType = "tag"
)

// RefChange classifies one push or tag push payload the way GitLab's
// Git::ProcessRefChangesService groups changes: by ref type, then by action
// (before blank → created, after blank → removed, else pushed).
type RefChange struct {
	Type   RefType
	Action RefAction
}

// PushRefChange classifies a push or tag_push payload; other kinds report false.
func PushRefChange(p *JSONObject) (RefChange, bool) {
	var c RefChange
	switch p.String("object_kind") {
	case KindPush:
		c.Type = RefBranch
	case KindTagPush:
		c.Type = RefTag
	default:
		return RefChange{}, false
	}
	switch {
	case IsBlankRef(p.String("before")):
		c.Action = RefCreated
	case IsBlankRef(p.String("after")):
		c.Action = RefRemoved
	default:
		c.Action = RefPushed
	}
	return c, true
}

// CountRefChanges counts the push and tag push payloads of one publish per
// group of changes. Other payloads are not counted.
func CountRefChanges(payloads []*JSONObject) map[RefChange]int {
	counts := make(map[RefChange]int)
	for _, p := range payloads {
		if c, ok := PushRefChange(p); ok {
			counts[c]++
		}
	}
	return counts
}

// DefaultPushEventHooksLimit is GitLab's push_event_hooks_limit default.
const DefaultPushEventHooksLimit = 3

// PushHooksAllowed says, for each payload of one publish, whether hooks may
// fire for it. GitLab runs hooks for a group of ref changes (branches or
// tags × created, removed or pushed) only when the group has at most
// push_event_hooks_limit changes; a larger group fires no hooks at all —
// project, group or system. A limit of 0 therefore silences every push.
// Payloads that are not pushes or tag pushes are always allowed.
func PushHooksAllowed(payloads []*JSONObject, limit int) []bool {
	counts := CountRefChanges(payloads)
	allowed := make([]bool, len(payloads))
	for i, p := range payloads {
		c, ok := PushRefChange(p)
		allowed[i] = !ok || counts[c] <= limit
	}
	return allowed
}

// payloadProjectID returns the payload's project ID as a JSON number literal, from
// project.id, project_id or object_attributes.project_id.
func payloadProjectID(p *JSONObject) string {
	for _, path := range [][]string{{"project", "id"}, {"project_id"}, {"object_attributes", "project_id"}} {
		v, ok := p.Lookup(path...)
		if !ok {
			continue
		}
		switch n := v.(type) {
		case json.Number:
			return n.String()
		case string:
			if n != "" {
				return n
			}
		}
	}
	return ""
}
