package model

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func hookPtr[T any](v T) *T { return &v }

// validProjectHook is a hook that passes Validate, for tests to spoil one
// field at a time.
func validProjectHook() Hook {
	h := NewHook(ProjectHookKind)
	h.ProjectID = hookPtr(int64(1))
	h.URL = "https://webhook.example.com/hook"
	return h
}

// fieldErrors returns the messages err holds for field, failing the test
// when err is not a validation error.
func fieldErrors(t *testing.T, err error, field string) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	v, ok := AsValidation(err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
	}
	return v.For(field)
}

func TestTriggerOrderIsAppendOnly(t *testing.T) {
	// Stored TriggerSets are bitmasks over this order. If this test fails
	// because an entry moved or vanished, stored hooks would change what
	// they subscribe to: append new triggers at the end instead.
	want := []string{
		"push_events", "tag_push_events", "issues_events", "confidential_issues_events",
		"note_events", "confidential_note_events", "merge_requests_events", "job_events",
		"pipeline_events", "wiki_page_events", "deployment_events", "feature_flag_events",
		"releases_events", "milestone_events", "emoji_events", "resource_access_token_events",
		"member_events", "project_events", "subgroup_events", "repository_update_events",
		"vulnerability_events",
	}
	if len(Triggers) > 64 {
		t.Fatalf("len(Triggers) = %d; a TriggerSet holds at most 64", len(Triggers))
	}
	for i, attr := range want {
		if i >= len(Triggers) {
			t.Fatalf("Triggers has %d entries, want at least %d", len(Triggers), len(want))
		}
		if got := Triggers[i].Attribute; got != attr {
			t.Errorf("Triggers[%d].Attribute = %q, want %q", i, got, attr)
		}
	}
}

func TestTriggerSet(t *testing.T) {
	s := NewTriggerSet("push_events", "note_events", "no_such_events")
	if got, want := s.Attributes(), []string{"push_events", "note_events"}; !slices.Equal(got, want) {
		t.Errorf("Attributes() = %v, want %v", got, want)
	}
	if !s.Has("note_events") || s.Has("issues_events") || s.Has("no_such_events") {
		t.Errorf("Has: got note=%v issues=%v unknown=%v, want true false false",
			s.Has("note_events"), s.Has("issues_events"), s.Has("no_such_events"))
	}
	if !s.HasScope("push_hooks") || s.HasScope("tag_push_hooks") || s.HasScope("nope") {
		t.Errorf("HasScope: got push=%v tag=%v unknown=%v, want true false false",
			s.HasScope("push_hooks"), s.HasScope("tag_push_hooks"), s.HasScope("nope"))
	}
	if ok := s.Set("push_events", false); !ok || s.Has("push_events") {
		t.Errorf("Set(push_events, false) = %v, Has = %v; want true, false", ok, s.Has("push_events"))
	}
	before := s
	if ok := s.Set("bogus", true); ok || s != before {
		t.Errorf("Set(bogus) = %v and changed the set to %b; want false and no change", ok, s)
	}
	last := Triggers[len(Triggers)-1].Attribute
	s.Set(last, true)
	if !s.Has(last) {
		t.Errorf("Has(%q) = false after Set", last)
	}
}

func TestNewHookDefaults(t *testing.T) {
	tests := []struct {
		kind       HookKind
		wantEvents []string
	}{
		{ProjectHookKind, []string{"push_events"}},
		{GroupHookKind, []string{"push_events"}},
		{SystemHookKind, []string{"repository_update_events"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			h := NewHook(tt.kind)
			if got := h.Events.Attributes(); !slices.Equal(got, tt.wantEvents) {
				t.Errorf("events = %v, want %v", got, tt.wantEvents)
			}
			if !h.EnableSSLVerification {
				t.Error("EnableSSLVerification = false, want true")
			}
			if h.BranchFilterStrategy != BranchFilterWildcard {
				t.Errorf("strategy = %q, want wildcard", h.BranchFilterStrategy)
			}
			if h.PushEventsBranchFilter != nil {
				t.Errorf("filter = %q, want nil", *h.PushEventsBranchFilter)
			}
			if h.URLVariables == nil || h.CustomHeaders == nil {
				t.Error("maps are nil, want empty")
			}
		})
	}
}

func TestHookKindTriggers(t *testing.T) {
	tests := []struct {
		kind HookKind
		want int
	}{
		{ProjectHookKind, 17},
		{GroupHookKind, 20},
		{SystemHookKind, 4},
		{HookKind("Bogus"), 0},
	}
	for _, tt := range tests {
		if got := len(tt.kind.Triggers()); got != tt.want {
			t.Errorf("len(%s.Triggers()) = %d, want %d", tt.kind, got, tt.want)
		}
	}
	var sys []string
	for _, tr := range SystemHookKind.Triggers() {
		sys = append(sys, tr.Attribute)
	}
	if want := []string{"push_events", "tag_push_events", "merge_requests_events", "repository_update_events"}; !slices.Equal(sys, want) {
		t.Errorf("system hook triggers = %v, want %v", sys, want)
	}
}

func TestValidateURL(t *testing.T) {
	// From GitLab's web_hook_shared_examples plus the blocker's other
	// refusals that need no DNS.
	tests := []struct {
		url  string
		want []string
	}{
		{"http://example.com", nil},
		{"https://example.com", nil},
		{" https://example.com ", nil},
		{"http://test.com/api", nil},
		{"http://test.com/api?key=abc", nil},
		{"http://test.com/api?key=abc&type=def", nil},
		{"HTTPS://example.com/x", nil},
		{"http://[::1]:8080/x", nil},
		{"http://10.0.0.1/x", nil}, // local, but that is the SSRF check's business
		{"https://bücher.example/x", nil},
		{"example.com", []string{"is blocked: Only allowed schemes are http, https"}},
		{"ftp://example.com", []string{"is blocked: Only allowed schemes are http, https"}},
		{"herp-and-derp", []string{"is blocked: Only allowed schemes are http, https"}},
		{"javascript:alert(1)", []string{"is blocked: Only allowed schemes are http, https"}},
		{"", []string{"can't be blank", "must be a valid URL"}},
		{"   ", []string{"can't be blank", "must be a valid URL"}},
		{"http://exa mple.com", []string{"is blocked: URI is invalid"}},
		{"http://example.com/a\nb", []string{"is blocked: URI is invalid"}},
		{"http://example.com:abc/", []string{"is blocked: URI is invalid"}},
		{"http://[::1/", []string{"is blocked: URI is invalid"}},
		{"http:///path", []string{"is blocked: Host cannot be resolved or invalid"}},
		{"http://-example.com/", []string{"is blocked: Hostname or IP address invalid"}},
		{"http://_example.com/", []string{"is blocked: Hostname or IP address invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			h := validProjectHook()
			h.URL = tt.url
			if got := fieldErrors(t, h.Validate(), "url"); !slices.Equal(got, tt.want) {
				t.Errorf("url errors = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateURLWithVariables(t *testing.T) {
	vars := map[string]string{"one": "a", "two": "b", "url": "http://example.com"}
	tests := []struct {
		url  string
		want []string
	}{
		{"http://example.com", nil},
		{"http://example.com/{one}/{two}", nil},
		{"http://example.com/{one}", nil},
		{"http://example.com/{two}", nil},
		{"http://user:s3cret@example.com/{two}", nil},
		{"http://{one}:{two}@example.com", nil},
		{"http://{one}", nil},
		{"{url}", nil},
		{"http://example.com/{one}/{two}/{three}", []string{`Invalid URL template. Missing keys: ["three"]`}},
		{"http://example.com/{foo}", []string{`Invalid URL template. Missing keys: ["foo"]`}},
		{"http:{user}:{pwd}//example.com/{foo}", []string{`Invalid URL template. Missing keys: ["user", "pwd", "foo"]`}},
		// GitLab's "mentions all missing variable names" example.
		{"http://example.com/{one}/{foo}/{two}/{three}", []string{`Invalid URL template. Missing keys: ["foo", "three"]`}},
		// Array difference keeps repeats, so GitLab names a key once per use.
		{"http://example.com/{foo}/{foo}", []string{`Invalid URL template. Missing keys: ["foo", "foo"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			h := validProjectHook()
			h.URL = tt.url
			h.URLVariables = vars
			err := h.Validate()
			if got := fieldErrors(t, err, "url"); !slices.Equal(got, tt.want) {
				t.Errorf("url errors = %q, want %q", got, tt.want)
			}
			if got := fieldErrors(t, err, "interpolated_url"); got != nil {
				t.Errorf("interpolated_url errors = %q, want none", got)
			}
		})
	}
}

func TestValidateInterpolatedURL(t *testing.T) {
	tests := []struct {
		name string
		url  string
		vars map[string]string
		want []string
	}{
		{"scheme hidden in a variable", "{target}", map[string]string{"target": "ftp://example.com"}, []string{"is blocked: Only allowed schemes are http, https"}},
		{"bad host hidden in a variable", "http://{host}/x", map[string]string{"host": "-evil"}, []string{"is blocked: Hostname or IP address invalid"}},
		{"interpolates to blank", "{target}", map[string]string{"target": " "}, []string{"must be a valid URL"}},
		{"fine", "https://{host}/x", map[string]string{"host": "example.com"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := validProjectHook()
			h.URL, h.URLVariables = tt.url, tt.vars
			err := h.Validate()
			if got := fieldErrors(t, err, "interpolated_url"); !slices.Equal(got, tt.want) {
				t.Errorf("interpolated_url errors = %q, want %q", got, tt.want)
			}
			if got := fieldErrors(t, err, "url"); got != nil {
				t.Errorf("url errors = %q, want none: the raw URL is not checked when it has variables", got)
			}
			if got, want := h.PublicURLField(), "interpolated_url"; got != want {
				t.Errorf("PublicURLField() = %q, want %q", got, want)
			}
		})
	}

	t.Run("not checked while other fields fail", func(t *testing.T) {
		h := validProjectHook()
		h.URL, h.URLVariables = "{target}", map[string]string{"target": "ftp://example.com"}
		h.Token = "a\nb"
		err := h.Validate()
		if got := fieldErrors(t, err, "interpolated_url"); got != nil {
			t.Errorf("interpolated_url errors = %q, want none (GitLab checks it only when nothing else failed)", got)
		}
	})
}

func TestValidateToken(t *testing.T) {
	tests := []struct {
		token string
		want  []string
	}{
		{"foobar", nil},
		{"", nil},
		{"foo\nbar", []string{"is invalid"}},
		{"foo\r\nbar", []string{"is invalid"}},
		{"foo\rbar", []string{"is invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			h := validProjectHook()
			h.Token = tt.token
			if got := fieldErrors(t, h.Validate(), "token"); !slices.Equal(got, tt.want) {
				t.Errorf("token errors = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateLengths(t *testing.T) {
	tests := []struct {
		field string
		set   func(*Hook, string)
		max   int
	}{
		{"name", func(h *Hook, s string) { h.Name = s }, 255},
		{"description", func(h *Hook, s string) { h.Description = s }, 2048},
		{"custom_webhook_template", func(h *Hook, s string) { h.CustomWebhookTemplate = s }, 4096},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			h := validProjectHook()
			// Characters, not bytes: "é" is two bytes.
			tt.set(&h, strings.Repeat("é", tt.max))
			if got := fieldErrors(t, h.Validate(), tt.field); got != nil {
				t.Errorf("%d characters: errors = %q, want none", tt.max, got)
			}
			tt.set(&h, strings.Repeat("a", tt.max+1))
			want := []string{"is too long (maximum is " + strconv.Itoa(tt.max) + " characters)"}
			if got := fieldErrors(t, h.Validate(), tt.field); !slices.Equal(got, want) {
				t.Errorf("%d characters: errors = %q, want %q", tt.max+1, got, want)
			}
		})
	}
}

func TestValidateOwnerAndKind(t *testing.T) {
	tests := []struct {
		name  string
		hook  Hook
		field string
		want  []string
	}{
		{"project hook without project", NewHook(ProjectHookKind), "project", []string{"can't be blank"}},
		{"group hook without group", NewHook(GroupHookKind), "group", []string{"can't be blank"}},
		{"unknown kind", NewHook(HookKind("ServiceHook")), "type", []string{"is not included in the list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.hook
			h.URL = "https://example.com"
			if got := fieldErrors(t, h.Validate(), tt.field); !slices.Equal(got, tt.want) {
				t.Errorf("%s errors = %q, want %q", tt.field, got, tt.want)
			}
		})
	}

	sys := NewHook(SystemHookKind)
	sys.URL = "https://example.com"
	if err := sys.Validate(); err != nil {
		t.Errorf("system hook: Validate() = %v, want nil", err)
	}
	g := NewHook(GroupHookKind)
	g.GroupID = hookPtr(int64(7))
	g.URL = "https://example.com"
	if err := g.Validate(); err != nil {
		t.Errorf("group hook: Validate() = %v, want nil", err)
	}
}

func TestValidateStrategy(t *testing.T) {
	h := validProjectHook()
	h.BranchFilterStrategy = "glob"
	want := []string{"is not included in the list"}
	if got := fieldErrors(t, h.Validate(), "branch_filter_strategy"); !slices.Equal(got, want) {
		t.Errorf("branch_filter_strategy errors = %q, want %q", got, want)
	}
}

func TestValidateDoesNotChangeHook(t *testing.T) {
	h := validProjectHook()
	h.URL = " https://example.com "
	h.PushEventsBranchFilter = hookPtr("  a   b ")
	h.URLVariables = nil
	_ = h.Validate()
	if h.URL != " https://example.com " || *h.PushEventsBranchFilter != "  a   b " || h.URLVariables != nil {
		t.Errorf("Validate changed the hook: url=%q filter=%q vars=%v", h.URL, *h.PushEventsBranchFilter, h.URLVariables)
	}
}

func TestValidationFullMessages(t *testing.T) {
	h := validProjectHook()
	h.URL = "ftp://example.com"
	h.Token = "a\nb"
	err := h.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want an error")
	}
	want := "Url is blocked: Only allowed schemes are http, https, Token is invalid"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestCheckHookLimit(t *testing.T) {
	tests := []struct {
		name            string
		kind            HookKind
		existing, limit int
		want            string
	}{
		{"project below limit", ProjectHookKind, 99, 100, ""},
		{"project at limit", ProjectHookKind, 100, 100, "Maximum number of project hooks (100) exceeded"},
		{"project over limit", ProjectHookKind, 150, 100, "Maximum number of project hooks (100) exceeded"},
		{"group at limit", GroupHookKind, 50, 50, "Maximum number of group hooks (50) exceeded"},
		{"group below limit", GroupHookKind, 49, 50, ""},
		{"zero is unlimited", ProjectHookKind, 5000, 0, ""},
		{"system hooks are unlimited", SystemHookKind, 5000, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckHookLimit(tt.kind, tt.existing, tt.limit)
			if tt.want == "" {
				if err != nil {
					t.Errorf("CheckHookLimit = %v, want nil", err)
				}
				return
			}
			got := fieldErrors(t, err, "base")
			if !slices.Equal(got, []string{tt.want}) {
				t.Errorf("base errors = %q, want [%q]", got, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Error() = %q, want %q", err.Error(), tt.want)
			}
		})
	}
}

func TestCloneSharesNothing(t *testing.T) {
	h := validProjectHook()
	h.URLVariables = map[string]string{"a": "1"}
	h.CustomHeaders = map[string]string{"X": "1"}
	h.PushEventsBranchFilter = hookPtr("main")
	c := h.Clone()
	c.URLVariables["a"] = "2"
	c.CustomHeaders["X"] = "2"
	*c.PushEventsBranchFilter = "dev"
	*c.ProjectID = 99
	if h.URLVariables["a"] != "1" || h.CustomHeaders["X"] != "1" || *h.PushEventsBranchFilter != "main" || *h.ProjectID != 1 {
		t.Errorf("changing the clone changed the original: %+v", h)
	}
}
