package model

import (
	"maps"
	"slices"
	"testing"
)

// storedHook is GitLab's factory hook with the :url_variables trait: the
// URL uses {abc}, and def is defined but unused.
func storedHook() Hook {
	h := validProjectHook()
	h.ID = 42
	h.URL = "http://example.com/{abc}"
	h.Token = "old-token"
	h.URLVariables = map[string]string{"abc": "supers3cret", "def": "foobar"}
	h.CustomHeaders = map[string]string{"test": "blub"}
	return h
}

func TestApplyHookUpdateToken(t *testing.T) {
	// GitLab's "before_validation :reset_token" examples, plus the form's
	// mask.
	newURL := "https://webhook.example.com/new-hook"
	tests := []struct {
		name      string
		update    HookUpdate
		wantToken string
	}{
		{"resets token if url changed", HookUpdate{URL: &newURL}, ""},
		{"keeps token if the same token comes with the new url", HookUpdate{URL: &newURL, Token: hookPtr("old-token")}, "old-token"},
		{"takes a new token that comes with the new url", HookUpdate{URL: &newURL, Token: hookPtr("token")}, "token"},
		{"keeps token if url did not change", HookUpdate{Name: hookPtr("renamed")}, "old-token"},
		{"keeps token if the same url is supplied", HookUpdate{URL: hookPtr(" http://example.com/{abc} ")}, "old-token"},
		{"the mask keeps the stored token", HookUpdate{Token: hookPtr(HookSecretMask)}, "old-token"},
		{"the mask is not a new token: url change still resets", HookUpdate{URL: &newURL, Token: hookPtr(HookSecretMask)}, ""},
		{"an empty token clears it", HookUpdate{Token: hookPtr("")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := validProjectHook()
			old.URL = "http://example.com/{abc}"
			old.URLVariables = map[string]string{"abc": "x"}
			old.Token = "old-token"
			got, err := ApplyHookUpdate(old, tt.update)
			if err != nil {
				t.Fatalf("ApplyHookUpdate error = %v", err)
			}
			if got.Token != tt.wantToken {
				t.Errorf("token = %q, want %q", got.Token, tt.wantToken)
			}
		})
	}
}

func TestApplyHookUpdateURLVariables(t *testing.T) {
	// GitLab's "before_validation :reset_url_variables" examples. GitLab
	// assigns the whole map; requests merge, so "replace the set" is written
	// as blank values for the old keys plus the new ones.
	tests := []struct {
		name      string
		hook      Hook
		update    HookUpdate
		wantVars  map[string]string
		wantValid bool
	}{
		{
			name:      "resets url variables if url changed",
			hook:      storedHook(),
			update:    HookUpdate{URL: hookPtr("http://example.com/new-hook")},
			wantVars:  map[string]string{},
			wantValid: true,
		},
		{
			name:     "resets url variables if url is changed but url variables stayed the same",
			hook:     storedHook(),
			update:   HookUpdate{URL: hookPtr("http://test.example.com/{abc}")},
			wantVars: map[string]string{},
		},
		{
			name: "resets url variables if url is changed and url variables are appended",
			hook: storedHook(),
			update: HookUpdate{
				URL:          hookPtr("http://suspicious.example.com/{abc}/{foo}"),
				URLVariables: []HookEntry{{"foo", "bar"}},
			},
			wantVars: map[string]string{},
		},
		{
			name: "resets url variables if url is changed and url variables are removed",
			hook: storedHook(),
			update: HookUpdate{
				URL:          hookPtr("http://suspicious.example.com/{abc}"),
				URLVariables: []HookEntry{{"def", ""}},
			},
			wantVars: map[string]string{},
		},
		{
			name:     "resets url variables if url variables are overwritten",
			hook:     storedHook(),
			update:   HookUpdate{URLVariables: []HookEntry{{"abc", "baz"}}},
			wantVars: map[string]string{},
		},
		{
			name: "does not reset url variables if both url and url variables are changed",
			hook: storedHook(),
			update: HookUpdate{
				URL:          hookPtr("http://example.com/{one}/{two}"),
				URLVariables: []HookEntry{{"abc", ""}, {"def", ""}, {"one", "foo"}, {"two", "bar"}},
			},
			wantVars:  map[string]string{"one": "foo", "two": "bar"},
			wantValid: true,
		},
		{
			name: "without url variables: does not reset url variables",
			hook: func() Hook {
				h := validProjectHook()
				h.URL = "http://example.com"
				h.URLVariables = nil
				return h
			}(),
			update: HookUpdate{
				URL:          hookPtr("http://example.com/{one}/{two}"),
				URLVariables: []HookEntry{{"one", "foo"}, {"two", "bar"}},
			},
			wantVars:  map[string]string{"one": "foo", "two": "bar"},
			wantValid: true,
		},
		{
			name:      "an unused variable may be added",
			hook:      storedHook(),
			update:    HookUpdate{URLVariables: []HookEntry{{"extra", "v"}}},
			wantVars:  map[string]string{"abc": "supers3cret", "def": "foobar", "extra": "v"},
			wantValid: true,
		},
		{
			name:      "an unused variable may be deleted with a blank value",
			hook:      storedHook(),
			update:    HookUpdate{URLVariables: []HookEntry{{"def", "  "}}},
			wantVars:  map[string]string{"abc": "supers3cret"},
			wantValid: true,
		},
		{
			name:      "resupplying a value unchanged changes nothing",
			hook:      storedHook(),
			update:    HookUpdate{URLVariables: []HookEntry{{"abc", "supers3cret"}}},
			wantVars:  map[string]string{"abc": "supers3cret", "def": "foobar"},
			wantValid: true,
		},
		{
			name:      "deleting a used variable leaves the URL short of it",
			hook:      storedHook(),
			update:    HookUpdate{URLVariables: []HookEntry{{"abc", ""}, {"def", ""}}},
			wantVars:  map[string]string{},
			wantValid: false,
		},
		{
			name: "the later of two entries for one key wins",
			hook: storedHook(),
			update: HookUpdate{URLVariables: []HookEntry{
				{"extra", "first"}, {"extra", "second"},
			}},
			wantVars:  map[string]string{"abc": "supers3cret", "def": "foobar", "extra": "second"},
			wantValid: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ApplyHookUpdate(tt.hook, tt.update)
			if valid := err == nil; valid != tt.wantValid {
				t.Errorf("valid = %v (err %v), want %v", valid, err, tt.wantValid)
			}
			if !maps.Equal(got.URLVariables, tt.wantVars) {
				t.Errorf("url variables = %v, want %v", got.URLVariables, tt.wantVars)
			}
		})
	}

	t.Run("a cleared variable still in the URL is named", func(t *testing.T) {
		_, err := ApplyHookUpdate(storedHook(), HookUpdate{URL: hookPtr("http://test.example.com/{abc}")})
		want := []string{`Invalid URL template. Missing keys: ["abc"]`}
		if got := fieldErrors(t, err, "url"); !slices.Equal(got, want) {
			t.Errorf("url errors = %q, want %q", got, want)
		}
	})
}

func TestApplyHookUpdateCustomHeaders(t *testing.T) {
	// GitLab's "before_validation :reset_custom_headers" examples, then the
	// merge, mask and replace rules.
	tests := []struct {
		name        string
		update      HookUpdate
		wantHeaders map[string]string
	}{
		{
			name:        "resets custom headers if url changed",
			update:      HookUpdate{URL: hookPtr("http://example.com/new-hook")},
			wantHeaders: map[string]string{},
		},
		{
			name: "resets custom headers if url and url variables changed",
			update: HookUpdate{
				URL:          hookPtr("http://example.com/{something}"),
				URLVariables: []HookEntry{{"abc", ""}, {"def", ""}, {"something", "testing-around"}},
			},
			wantHeaders: map[string]string{},
		},
		{
			name:        "does not reset custom headers if url stayed the same",
			update:      HookUpdate{URL: hookPtr("http://example.com/{abc}")},
			wantHeaders: map[string]string{"test": "blub"},
		},
		{
			name: "does not reset custom headers if url and url variables changed and evaluate to the same url",
			update: HookUpdate{
				URL:          hookPtr("http://example.com/{def}"),
				URLVariables: []HookEntry{{"abc", ""}, {"def", "supers3cret"}},
			},
			wantHeaders: map[string]string{"test": "blub"},
		},
		{
			name: "headers supplied with a URL change are cleared too",
			update: HookUpdate{
				URL:           hookPtr("http://example.com/new-hook"),
				CustomHeaders: []HookEntry{{"X-New", "v"}},
			},
			wantHeaders: map[string]string{},
		},
		{
			name:        "merge adds and overwrites",
			update:      HookUpdate{CustomHeaders: []HookEntry{{"X-New", "v"}, {"test", "new"}}},
			wantHeaders: map[string]string{"test": "new", "X-New": "v"},
		},
		{
			name:        "the mask keeps the stored value",
			update:      HookUpdate{CustomHeaders: []HookEntry{{"test", HookSecretMask}}},
			wantHeaders: map[string]string{"test": "blub"},
		},
		{
			name:        "the mask for an unknown header is taken literally",
			update:      HookUpdate{CustomHeaders: []HookEntry{{"X-New", HookSecretMask}}},
			wantHeaders: map[string]string{"test": "blub", "X-New": HookSecretMask},
		},
		{
			name:        "a blank value deletes",
			update:      HookUpdate{CustomHeaders: []HookEntry{{"test", ""}}},
			wantHeaders: map[string]string{},
		},
		{
			name: "replace: the submitted rows are the whole set",
			update: HookUpdate{
				ReplaceCustomHeaders: true,
				CustomHeaders:        []HookEntry{{"test", HookSecretMask}, {"X-New", "v"}},
			},
			wantHeaders: map[string]string{"test": "blub", "X-New": "v"},
		},
		{
			name:        "replace with no rows removes every header",
			update:      HookUpdate{ReplaceCustomHeaders: true},
			wantHeaders: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ApplyHookUpdate(storedHook(), tt.update)
			if err != nil {
				t.Fatalf("ApplyHookUpdate error = %v", err)
			}
			if !maps.Equal(got.CustomHeaders, tt.wantHeaders) {
				t.Errorf("custom headers = %v, want %v", got.CustomHeaders, tt.wantHeaders)
			}
		})
	}
}

func TestApplyHookUpdateFields(t *testing.T) {
	regex := BranchFilterRegex
	all := BranchFilterAllBranches
	got, err := ApplyHookUpdate(storedHook(), HookUpdate{
		Name:                   hookPtr("Deploys"),
		Description:            hookPtr("Tells the deployer"),
		Events:                 map[string]bool{"push_events": false, "tag_push_events": true, "member_events": true, "bogus": true},
		PushEventsBranchFilter: hookPtr("^release/"),
		BranchFilterStrategy:   &regex,
		EnableSSLVerification:  hookPtr(false),
		CustomWebhookTemplate:  hookPtr(`{"event":"{{object_kind}}"}`),
	})
	if err != nil {
		t.Fatalf("ApplyHookUpdate error = %v", err)
	}
	if got.Name != "Deploys" || got.Description != "Tells the deployer" || got.EnableSSLVerification ||
		got.CustomWebhookTemplate != `{"event":"{{object_kind}}"}` {
		t.Errorf("scalars not applied: %+v", got)
	}
	// member_events is a group-hook trigger, so a project hook ignores it.
	if attrs, want := got.Events.Attributes(), []string{"tag_push_events"}; !slices.Equal(attrs, want) {
		t.Errorf("events = %v, want %v", attrs, want)
	}
	if got.BranchFilterStrategy != BranchFilterRegex || showPtr(got.PushEventsBranchFilter) != `"^release/"` {
		t.Errorf("filter = %s %s, want regex \"^release/\"", got.BranchFilterStrategy, showPtr(got.PushEventsBranchFilter))
	}

	got, err = ApplyHookUpdate(got, HookUpdate{BranchFilterStrategy: &all})
	if err != nil {
		t.Fatalf("ApplyHookUpdate error = %v", err)
	}
	if got.PushEventsBranchFilter != nil {
		t.Errorf("all_branches filter = %s, want <nil>", showPtr(got.PushEventsBranchFilter))
	}

	_, err = ApplyHookUpdate(storedHook(), HookUpdate{PushEventsBranchFilter: hookPtr("bad branch")})
	if got, want := fieldErrors(t, err, "push_events_branch_filter"), []string{"is not a valid branch name"}; !slices.Equal(got, want) {
		t.Errorf("filter errors = %q, want %q", got, want)
	}
}

func TestApplyHookUpdateLeavesOldAlone(t *testing.T) {
	old := storedHook()
	before := old.Clone()
	_, _ = ApplyHookUpdate(old, HookUpdate{
		URL:           hookPtr("http://elsewhere.example.com/{abc}"),
		URLVariables:  []HookEntry{{"abc", "x"}},
		CustomHeaders: []HookEntry{{"test", ""}},
	})
	if !maps.Equal(old.URLVariables, before.URLVariables) || !maps.Equal(old.CustomHeaders, before.CustomHeaders) ||
		old.URL != before.URL || old.Token != before.Token {
		t.Errorf("ApplyHookUpdate changed its input: %+v", old)
	}
}

func TestApplyHookUpdateReturnsAttemptOnError(t *testing.T) {
	got, err := ApplyHookUpdate(storedHook(), HookUpdate{URL: hookPtr("ftp://example.com"), Name: hookPtr("typed")})
	if err == nil {
		t.Fatal("ApplyHookUpdate error = nil, want one")
	}
	if got.URL != "ftp://example.com" || got.Name != "typed" {
		t.Errorf("attempt = url %q name %q, want what was typed", got.URL, got.Name)
	}
}

func TestHookUpdateEmpty(t *testing.T) {
	if !(HookUpdate{}).Empty() {
		t.Error("HookUpdate{}.Empty() = false, want true")
	}
	if !(HookUpdate{URLVariables: []HookEntry{}, Events: map[string]bool{}}).Empty() {
		t.Error("empty lists: Empty() = false, want true (GitLab ignores an empty list)")
	}
	for name, u := range map[string]HookUpdate{
		"url":     {URL: hookPtr("")},
		"events":  {Events: map[string]bool{"push_events": false}},
		"vars":    {URLVariables: []HookEntry{{"a", "b"}}},
		"headers": {CustomHeaders: []HookEntry{{"a", "b"}}},
		"replace": {ReplaceCustomHeaders: true},
		"ssl":     {EnableSSLVerification: hookPtr(true)},
	} {
		if u.Empty() {
			t.Errorf("%s: Empty() = true, want false", name)
		}
	}
}

func TestApplyHookCreate(t *testing.T) {
	base := NewHook(GroupHookKind)
	base.GroupID = hookPtr(int64(3))

	got, err := ApplyHookCreate(base, HookUpdate{
		URL:           hookPtr(" https://example.com/{path} "),
		Token:         hookPtr(HookSecretMask),
		Events:        map[string]bool{"member_events": true, "repository_update_events": true},
		URLVariables:  []HookEntry{{"path", "p"}},
		CustomHeaders: []HookEntry{{"X-A", "1"}},
	})
	if err != nil {
		t.Fatalf("ApplyHookCreate error = %v", err)
	}
	if got.URL != "https://example.com/{path}" {
		t.Errorf("url = %q, want it stripped", got.URL)
	}
	if got.Token != HookSecretMask {
		t.Errorf("token = %q, want the mask taken literally on create", got.Token)
	}
	// repository_update_events is a system-hook trigger.
	if attrs, want := got.Events.Attributes(), []string{"push_events", "member_events"}; !slices.Equal(attrs, want) {
		t.Errorf("events = %v, want %v", attrs, want)
	}
	if !maps.Equal(got.URLVariables, map[string]string{"path": "p"}) || !maps.Equal(got.CustomHeaders, map[string]string{"X-A": "1"}) {
		t.Errorf("vars = %v headers = %v", got.URLVariables, got.CustomHeaders)
	}
	if base.URL != "" || len(base.URLVariables) != 0 {
		t.Errorf("ApplyHookCreate changed its base: %+v", base)
	}

	_, err = ApplyHookCreate(base, HookUpdate{URL: hookPtr("https://example.com/{path}"), URLVariables: []HookEntry{{"path", ""}}})
	if got, want := fieldErrors(t, err, "url_variables"), []string{"must be a valid json schema"}; !slices.Equal(got, want) {
		t.Errorf("blank variable on create: url_variables errors = %q, want %q", got, want)
	}
}

// The settings form keeps the variables whose placeholders remain in the
// changed URL and drops the others; without the flag GitLab's rule clears
// them (and validation then reports the missing key).
func TestApplyHookUpdateKeepURLVariablesInURL(t *testing.T) {
	newURL := "http://example.com/{abc}/v2"
	h, err := ApplyHookUpdate(storedHook(), HookUpdate{URL: &newURL, KeepURLVariablesInURL: true})
	if err != nil {
		t.Fatalf("form update: %v", err)
	}
	if want := map[string]string{"abc": "supers3cret"}; !maps.Equal(h.URLVariables, want) {
		t.Errorf("form update: variables %v, want %v", h.URLVariables, want)
	}
	if _, err := ApplyHookUpdate(storedHook(), HookUpdate{URL: &newURL, URLVariables: []HookEntry{{Key: "abc", Value: "supers3cret"}}}); err == nil {
		t.Error("API update: GitLab's rule should clear the variables of a changed URL and fail validation")
	}
}
