package model

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseEventTrigger(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		kind    string
		scope   string
	}{
		{"push", `{"object_kind":"push","ref":"refs/heads/main"}`, KindPush, "push_hooks"},
		{"tag push", `{"object_kind":"tag_push","ref":"refs/tags/v1"}`, KindTagPush, "tag_push_hooks"},
		{"issue", `{"object_kind":"issue","object_attributes":{"confidential":false}}`, KindIssue, "issue_hooks"},
		{"confidential issue", `{"object_kind":"issue","object_attributes":{"confidential":true}}`, KindIssue, "confidential_issue_hooks"},
		{"issue with confidential event_type", `{"object_kind":"issue","event_type":"confidential_issue","object_attributes":{}}`, KindIssue, "confidential_issue_hooks"},
		{"work item goes through issue hooks", `{"object_kind":"work_item","object_attributes":{"confidential":false}}`, KindWorkItem, "issue_hooks"},
		{"note on a commit", `{"object_kind":"note","object_attributes":{"noteable_type":"Commit"}}`, KindNote, "note_hooks"},
		{"note on a public issue", `{"object_kind":"note","object_attributes":{"noteable_type":"Issue"},"issue":{"confidential":false}}`, KindNote, "note_hooks"},
		{"note on a confidential issue", `{"object_kind":"note","object_attributes":{"noteable_type":"Issue"},"issue":{"confidential":true}}`, KindNote, "confidential_note_hooks"},
		{"internal note", `{"object_kind":"note","object_attributes":{"internal":true,"noteable_type":"MergeRequest"}}`, KindNote, "confidential_note_hooks"},
		{"confidential note (old column)", `{"object_kind":"note","object_attributes":{"confidential":true}}`, KindNote, "confidential_note_hooks"},
		{"note with confidential event_type", `{"object_kind":"note","event_type":"confidential_note","object_attributes":{}}`, KindNote, "confidential_note_hooks"},
		{"merge request", `{"object_kind":"merge_request"}`, KindMergeRequest, "merge_request_hooks"},
		{"build is a job", `{"object_kind":"build"}`, KindBuild, "job_hooks"},
		{"pipeline", `{"object_kind":"pipeline"}`, KindPipeline, "pipeline_hooks"},
		{"wiki page", `{"object_kind":"wiki_page"}`, KindWikiPage, "wiki_page_hooks"},
		{"deployment", `{"object_kind":"deployment"}`, KindDeployment, "deployment_hooks"},
		{"feature flag", `{"object_kind":"feature_flag"}`, KindFeatureFlag, "feature_flag_hooks"},
		{"release", `{"object_kind":"release"}`, KindRelease, "release_hooks"},
		{"milestone", `{"object_kind":"milestone"}`, KindMilestone, "milestone_hooks"},
		{"emoji", `{"object_kind":"emoji","event_type":"award"}`, KindEmoji, "emoji_hooks"},
		{"access token", `{"object_kind":"access_token","event_name":"expiring_access_token"}`, KindAccessToken, "resource_access_token_hooks"},
		{"member added", `{"event_name":"user_add_to_group","group_id":1}`, KindMember, "member_hooks"},
		{"member updated", `{"event_name":"user_update_for_group"}`, KindMember, "member_hooks"},
		{"member removed", `{"event_name":"user_remove_from_group"}`, KindMember, "member_hooks"},
		{"access requested", `{"event_name":"user_access_request_to_group"}`, KindMember, "member_hooks"},
		{"access request denied", `{"event_name":"user_access_request_denied_for_group"}`, KindMember, "member_hooks"},
		{"project created", `{"event_name":"project_create"}`, KindProject, "project_hooks"},
		{"project destroyed", `{"event_name":"project_destroy"}`, KindProject, "project_hooks"},
		{"subgroup created", `{"event_name":"subgroup_create"}`, KindSubgroup, "subgroup_hooks"},
		{"subgroup destroyed", `{"event_name":"subgroup_destroy"}`, KindSubgroup, "subgroup_hooks"},
		{"member as object_kind", `{"object_kind":"member","event_name":"user_add_to_group"}`, KindMember, "member_hooks"},
		{"repository update (system hook)", `{"event_name":"repository_update","changes":[]}`, KindRepositoryUpdate, "repository_update_hooks"},
		{"object_kind wins over event_name", `{"object_kind":"push","event_name":"push"}`, KindPush, "push_hooks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseEvent([]byte(tt.payload))
			if err != nil {
				t.Fatalf("ParseEvent error: %v", err)
			}
			if e.Kind != tt.kind {
				t.Errorf("kind: got %q, want %q", e.Kind, tt.kind)
			}
			if e.Trigger.Scope != tt.scope {
				t.Errorf("trigger: got %q, want %q", e.Trigger.Scope, tt.scope)
			}
			if e.Trigger.EventHeader == "" {
				t.Errorf("trigger %q has no event header: not from the Triggers table", e.Trigger.Scope)
			}
		})
	}
}

func TestParseEventErrors(t *testing.T) {
	tests := []struct {
		name, payload, wantSub string
	}{
		{"unknown object_kind", `{"object_kind":"dependency_scan"}`, `unknown object_kind "dependency_scan"`},
		{"unknown event_name", `{"event_name":"group_rename"}`, `unknown event_name "group_rename"`},
		{"neither", `{"ref":"refs/heads/main"}`, "neither object_kind nor event_name"},
		{"object_kind not a string", `{"object_kind":3}`, "object_kind must be a string"},
		{"not JSON", `{"object_kind":`, "not valid JSON"},
		{"not an object", `["push"]`, "must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEvent([]byte(tt.payload))
			if err == nil {
				t.Fatalf("ParseEvent(%s): no error", tt.payload)
			}
			if !errors.Is(err, ErrBadRequest) {
				t.Errorf("error %v is not ErrBadRequest", err)
			}
			if !strings.Contains(err.Error(), tt.wantSub) {
				t.Errorf("got %q, want it to contain %q", err.Error(), tt.wantSub)
			}
		})
	}
}

func TestBranchAndTagName(t *testing.T) {
	tests := []struct {
		ref         string
		branch, tag string
		isBr, isTag bool
	}{
		{"refs/heads/main", "main", "", true, false},
		{"refs/heads/production/a/b", "production/a/b", "", true, false},
		{"refs/tags/v1.0.0", "", "v1.0.0", false, true},
		{"main", "", "", false, false},
		{"refs/heads/", "", "", false, false},
		{"refs/merge-requests/1/head", "", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			if got, ok := BranchName(tt.ref); got != tt.branch || ok != tt.isBr {
				t.Errorf("BranchName = %q, %v; want %q, %v", got, ok, tt.branch, tt.isBr)
			}
			if got, ok := TagName(tt.ref); got != tt.tag || ok != tt.isTag {
				t.Errorf("TagName = %q, %v; want %q, %v", got, ok, tt.tag, tt.isTag)
			}
		})
	}
	e, err := ParseEvent([]byte(`{"object_kind":"push","ref":"refs/heads/1-0-stable"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := e.Branch(); got != "1-0-stable" || !ok {
		t.Errorf("Event.Branch = %q, %v; want 1-0-stable, true", got, ok)
	}
	e, _ = ParseEvent([]byte(`{"object_kind":"tag_push","ref":"refs/tags/v1"}`))
	if got, ok := e.Branch(); ok {
		t.Errorf("tag push Event.Branch = %q, true; want false", got)
	}
}

func pushPayload(t *testing.T, kind, ref, before, after string) *JSONObject {
	t.Helper()
	p, err := ParsePayload([]byte(fmt.Sprintf(`{"object_kind":%q,"ref":%q,"before":%q,"after":%q}`, kind, ref, before, after)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	shaOld = "95790bf891e76fee5e1747ab589903a6a1f80f22"
	shaNew = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
)

func TestPushRefChange(t *testing.T) {
	tests := []struct {
		name                string
		kind, before, after string
		want                RefChange
		ok                  bool
	}{
		{"branch created", KindPush, BlankRef, shaOld, RefChange{RefBranch, RefCreated}, true},
		{"branch removed", KindPush, shaOld, BlankRef, RefChange{RefBranch, RefRemoved}, true},
		{"branch pushed", KindPush, shaOld, shaNew, RefChange{RefBranch, RefPushed}, true},
		{"tag created", KindTagPush, BlankRef, shaOld, RefChange{RefTag, RefCreated}, true},
		{"tag removed", KindTagPush, shaOld, BlankRef, RefChange{RefTag, RefRemoved}, true},
		{"SHA-256 blank", KindPush, strings.Repeat("0", 64), shaOld, RefChange{RefBranch, RefCreated}, true},
		{"not a push", KindIssue, "", "", RefChange{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := PushRefChange(pushPayload(t, tt.kind, "refs/heads/x", tt.before, tt.after))
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPushHooksAllowed(t *testing.T) {
	created := func(ref string) *JSONObject { return pushPayload(t, KindPush, "refs/heads/"+ref, BlankRef, shaOld) }
	pushed := func(ref string) *JSONObject { return pushPayload(t, KindPush, "refs/heads/"+ref, shaOld, shaNew) }
	removed := func(ref string) *JSONObject { return pushPayload(t, KindPush, "refs/heads/"+ref, shaOld, BlankRef) }
	tag := func(ref string) *JSONObject { return pushPayload(t, KindTagPush, "refs/tags/"+ref, BlankRef, shaOld) }
	issue, _ := ParsePayload([]byte(`{"object_kind":"issue"}`))

	tests := []struct {
		name     string
		payloads []*JSONObject
		limit    int
		want     []bool
	}{
		{"one push", []*JSONObject{pushed("a")}, 3, []bool{true}},
		{"exactly the limit fires", []*JSONObject{pushed("a"), pushed("b"), pushed("c")}, 3, []bool{true, true, true}},
		{"one over the limit fires nothing in that group", []*JSONObject{pushed("a"), pushed("b"), pushed("c"), pushed("d")}, 3, []bool{false, false, false, false}},
		{
			"groups are counted separately",
			[]*JSONObject{created("a"), created("b"), created("c"), created("d"), pushed("e"), removed("f"), tag("v1")},
			3,
			[]bool{false, false, false, false, true, true, true},
		},
		{
			"tags and branches are different groups",
			[]*JSONObject{tag("v1"), tag("v2"), created("a"), created("b")},
			2,
			[]bool{true, true, true, true},
		},
		{"limit 0 silences pushes but not other events", []*JSONObject{pushed("a"), issue}, 0, []bool{false, true}},
		{"empty batch", nil, 3, []bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PushHooksAllowed(tt.payloads, tt.limit)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	counts := CountRefChanges([]*JSONObject{created("a"), created("b"), pushed("c"), tag("v1"), issue})
	want := map[RefChange]int{{RefBranch, RefCreated}: 2, {RefBranch, RefPushed}: 1, {RefTag, RefCreated}: 1}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("CountRefChanges = %v, want %v", counts, want)
	}
}

// ParseEvent keeps the bytes it parsed, compacted: the very same bytes when
// there was no whitespace between tokens, a compacted copy otherwise, and
// whitespace inside strings is never touched.
func TestParseEventKeepsCompactRaw(t *testing.T) {
	compact := []byte(`{"object_kind":"push","ref":"refs/heads/main","message":"a  b\n c","n":[1,2.5e3,{"x":null}]}`)
	ev, err := ParseEvent(compact)
	if err != nil {
		t.Fatal(err)
	}
	if &ev.Raw[0] != &compact[0] || string(ev.Raw) != string(compact) {
		t.Errorf("compact body was copied or changed: %s", ev.Raw)
	}
	spaced := []byte("{ \"object_kind\" : \"push\",\n\t\"ref\":\"refs/heads/main\" ,\"message\":\"a  b\\n c\",\"n\":[1 , 2.5e3 ,{\"x\": null} ] }")
	ev, err = ParseEvent(spaced)
	if err != nil {
		t.Fatal(err)
	}
	if string(ev.Raw) != string(compact) {
		t.Errorf("got %s, want %s", ev.Raw, compact)
	}
}
