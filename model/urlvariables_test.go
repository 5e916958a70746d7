package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// entries builds n variables k1..kn, GitLab's 20-versus-21 example.
func numberedEntries(n int) map[string]string {
	m := map[string]string{}
	for i := 1; i <= n; i++ {
		m[fmt.Sprintf("k%d", i)] = "value"
	}
	return m
}

func TestURLVariablesRules(t *testing.T) {
	// GitLab's web_hook_shared_examples, describe 'url_variables'.
	tests := []struct {
		name  string
		vars  map[string]string
		valid bool
	}{
		{"empty", map[string]string{}, true},
		{"foo", map[string]string{"foo": "bar"}, true},
		{"FOO", map[string]string{"FOO": "bar"}, true},
		{"MY_TOKEN", map[string]string{"MY_TOKEN": "bar"}, true},
		{"foo2", map[string]string{"foo2": "bar"}, true},
		{"x", map[string]string{"x": "y"}, true},
		{"2048 characters", map[string]string{"x": strings.Repeat("a", 2048)}, true},
		{"two", map[string]string{"foo": "bar", "bar": "baz"}, true},
		{"20 entries", numberedEntries(20), true},
		{"MY-TOKEN", map[string]string{"MY-TOKEN": "bar"}, true},
		{"my_secr3t-token", map[string]string{"my_secr3t-token": "bar"}, true},
		{"x-y-z", map[string]string{"x-y-z": "bar"}, true},
		{"x_y_z", map[string]string{"x_y_z": "bar"}, true},
		{"f.o.o", map[string]string{"f.o.o": "bar"}, true},

		{"empty value", map[string]string{"foo": ""}, false},
		{"2049 characters", map[string]string{"foo": strings.Repeat("a", 2049)}, false},
		{"has spaces", map[string]string{"has spaces": "foo"}, false},
		{"empty name", map[string]string{"": "foo"}, false},
		{"1foo", map[string]string{"1foo": "foo"}, false},
		{"21 entries", numberedEntries(21), false},
		{"MY--TOKEN", map[string]string{"MY--TOKEN": "foo"}, false},
		{"MY__SECRET", map[string]string{"MY__SECRET": "foo"}, false},
		{"x-_y", map[string]string{"x-_y": "foo"}, false},
		{"x..y", map[string]string{"x..y": "foo"}, false},
		// Digits only come right after the leading letters or after a
		// separator: the pattern's quirk, kept.
		{"foo2bar", map[string]string{"foo2bar": "x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := URLVariablesProblems(tt.vars)
			if got := problems == nil; got != tt.valid {
				t.Errorf("URLVariablesProblems = %q; valid = %v, want %v", problems, got, tt.valid)
			}
			h := validProjectHook()
			h.URLVariables = tt.vars
			var want []string
			if !tt.valid {
				want = []string{"must be a valid json schema"}
			}
			if got := fieldErrors(t, h.Validate(), "url_variables"); !slices.Equal(got, want) {
				t.Errorf("url_variables errors = %q, want %q", got, want)
			}
		})
	}
}

func TestURLVariablesProblemsSayWhy(t *testing.T) {
	got := URLVariablesProblems(map[string]string{"1foo": "", "ok": strings.Repeat("é", 2049)})
	want := []string{
		`"1foo" is not a valid name: start with a letter and use letters and digits, separated by single ".", "_" or "-".`,
		`The value of "1foo" is empty.`,
		`The value of "ok" is too long (2049 characters; the maximum is 2048).`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems =\n%q\nwant\n%q", got, want)
	}
	if got, want := URLVariablesProblems(numberedEntries(21)), []string{"There are 21 URL variables; the maximum is 20."}; !slices.Equal(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
}

func TestValidURLVariable(t *testing.T) {
	tests := []struct {
		key, value string
		want       bool
	}{
		{"token", "abc", true},
		{"token", "", false},
		{"to ken", "abc", false},
		{"token", strings.Repeat("a", 2049), false},
	}
	for _, tt := range tests {
		if got := ValidURLVariable(tt.key, tt.value); got != tt.want {
			t.Errorf("ValidURLVariable(%q, %d chars) = %v, want %v", tt.key, len(tt.value), got, tt.want)
		}
	}
}

func TestInterpolateURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		vars    map[string]string
		want    string
		wantErr string
	}{
		{"no variables", "http://example.com", nil, "http://example.com", ""},
		{"path and query", "http://example.com/{path}/resource?token={token}",
			map[string]string{"path": "abc", "token": "xyz"}, "http://example.com/abc/resource?token=xyz", ""},
		{"missing key", "http://example.com/{path}/resource?token={token}",
			map[string]string{"path": "present"}, "", "Invalid URL template. Missing key token"},
		{"not vulnerable to format strings", "something%{%<foo>2147483628G}",
			map[string]string{"foo": "1234567890.12345678"}, "something%{%<foo>2147483628G}", ""},
		{"percent before a placeholder", "http://example.com/%{path}/resource?token=%{token}",
			map[string]string{"path": "abc", "token": "xyz"}, "http://example.com/%abc/resource?token=%xyz", ""},
		{"whole URL", "{url}", map[string]string{"url": "https://example.com/x"}, "https://example.com/x", ""},
		{"userinfo", "https://{user}:{pass}@example.com/", map[string]string{"user": "u", "pass": "p"}, "https://u:p@example.com/", ""},
		{"repeated", "https://example.com/{a}/{a}", map[string]string{"a": "x"}, "https://example.com/x/x", ""},
		{"not a name is left alone", "https://example.com/{1a}/{a b}", map[string]string{"1a": "x"}, "https://example.com/{1a}/{a b}", ""},
		{"values are not re-read", "https://example.com/{a}", map[string]string{"a": "{b}", "b": "no"}, "https://example.com/{b}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := InterpolateURL(tt.url, tt.vars)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("InterpolateURL error = %v, want %q", err, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("errors.Is(err, ErrInvalid) = false")
				}
				return
			}
			if err != nil {
				t.Fatalf("InterpolateURL error = %v", err)
			}
			if got != tt.want {
				t.Errorf("InterpolateURL = %q, want %q", got, tt.want)
			}
		})
	}

	h := validProjectHook()
	h.URL = "https://example.com/{path}"
	h.URLVariables = map[string]string{"path": "secret"}
	if got, err := h.InterpolatedURL(); err != nil || got != "https://example.com/secret" {
		t.Errorf("InterpolatedURL() = %q, %v; want https://example.com/secret", got, err)
	}
}

func TestMaskURL(t *testing.T) {
	tests := []struct {
		name       string
		url        string
		rows       []URLMaskRow
		wantURL    string
		wantVars   []HookEntry
		wantFields map[string][]string
	}{
		{
			name:     "SPEC example",
			url:      "https://webhook.example.com/abc123?key=s3cr3t",
			rows:     []URLMaskRow{{Value: "abc123", Key: "path"}, {Value: "s3cr3t", Key: "value"}},
			wantURL:  "https://webhook.example.com/{path}?key={value}",
			wantVars: []HookEntry{{"path", "abc123"}, {"value", "s3cr3t"}},
		},
		{
			name:     "every occurrence",
			url:      "https://example.com/t0k/x?again=t0k",
			rows:     []URLMaskRow{{Value: "t0k", Key: "token"}},
			wantURL:  "https://example.com/{token}/x?again={token}",
			wantVars: []HookEntry{{"token", "t0k"}},
		},
		{
			name:     "userinfo",
			url:      "https://bob:hunter2@example.com/",
			rows:     []URLMaskRow{{Value: "hunter2", Key: "password"}},
			wantURL:  "https://bob:{password}@example.com/",
			wantVars: []HookEntry{{"password", "hunter2"}},
		},
		{
			name:     "wholly blank rows are skipped",
			url:      "https://example.com/a",
			rows:     []URLMaskRow{{}, {Value: " ", Key: ""}},
			wantURL:  "https://example.com/a",
			wantVars: nil,
		},
		{
			name: "refusals",
			url:  "https://example.com/abc/def",
			rows: []URLMaskRow{
				{Value: "abc", Key: ""},
				{Value: "", Key: "k"},
				{Value: "zzz", Key: "z"},
				{Value: "abc", Key: "1bad"},
				{Value: "def", Key: "d"},
				{Value: "abc", Key: "d"},
			},
			wantFields: map[string][]string{
				"url_variables.0.key":   {"This field is required."},
				"url_variables.1.value": {"This field is required."},
				"url_variables.2.value": {"Must match part of URL"},
				"url_variables.3.key":   {`Use letters and digits, separated by single ".", "_" or "-", starting with a letter.`},
				"url_variables.5.key":   {"Already used by another row."},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotURL, gotVars, err := MaskURL(tt.url, tt.rows)
			if tt.wantFields != nil {
				v, ok := AsValidation(err)
				if !ok {
					t.Fatalf("MaskURL error = %v, want a validation error", err)
				}
				if got := v.Map(); fmt.Sprint(got) != fmt.Sprint(tt.wantFields) {
					t.Errorf("errors = %v, want %v", got, tt.wantFields)
				}
				return
			}
			if err != nil {
				t.Fatalf("MaskURL error = %v", err)
			}
			if gotURL != tt.wantURL {
				t.Errorf("masked URL = %q, want %q", gotURL, tt.wantURL)
			}
			if !slices.Equal(gotVars, tt.wantVars) {
				t.Errorf("variables = %v, want %v", gotVars, tt.wantVars)
			}
		})
	}
}

func TestMaskURLRoundTrip(t *testing.T) {
	raw := "https://user:pa55@hooks.example.com/services/T000/B000/XXXX?channel=ops"
	masked, vars, err := MaskURL(raw, []URLMaskRow{{Value: "pa55", Key: "password"}, {Value: "T000/B000/XXXX", Key: "slack_path"}})
	if err != nil {
		t.Fatal(err)
	}
	base := validProjectHook()
	h, err := ApplyHookCreate(base, HookUpdate{URL: &masked, URLVariables: vars})
	if err != nil {
		t.Fatalf("ApplyHookCreate = %v", err)
	}
	if got, want := h.URL, "https://user:{password}@hooks.example.com/services/{slack_path}?channel=ops"; got != want {
		t.Errorf("stored URL = %q, want %q", got, want)
	}
	if got, err := h.InterpolatedURL(); err != nil || got != raw {
		t.Errorf("InterpolatedURL() = %q, %v; want %q", got, err, raw)
	}
}
