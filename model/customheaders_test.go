package model

import (
	"slices"
	"strings"
	"testing"
)

func TestCustomHeadersRules(t *testing.T) {
	// GitLab's web_hook_shared_examples, describe 'custom_headers'. The
	// Ruby strings '\r' and '\n' there are single-quoted: a backslash and
	// a letter, not a line break.
	multiline := "This is line one\nThis is line two\nThis is line three\n"
	tests := []struct {
		name    string
		headers map[string]string
		valid   bool
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
		// GitLab's spec uses Content-Length here; Hooklab refuses it as a
		// connection-level header (see TestConnectionHeadersAreRefused).
		{"inner spaces", map[string]string{"X-Content": "all alone"}, true},
		{"tab inside", map[string]string{"X-A": "a\tb"}, true},

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
		{"name with colon", map[string]string{"Content-Length: 3": "foo"}, false},
		{"name with leading space", map[string]string{" Content-Length-3": "foo"}, false},
		{"name with trailing space", map[string]string{"Content-Length ": "foo"}, false},
		{"value with leading space", map[string]string{"Content-Length": " foo"}, false},
		{"value with trailing space", map[string]string{"Content-Length": "foo "}, false},
		{`value \r`, map[string]string{"Content-Length": `\r`}, false},
		{`value \n`, map[string]string{"Content-Length": `\n`}, false},
		{"value %0A", map[string]string{"Content-Length": "%0A"}, false},
		{"value %0D", map[string]string{"Content-Length": "%0D"}, false},
		{"value %0d lower case", map[string]string{"Content-Length": "a%0db"}, false},
		{"multi-line value", map[string]string{"Content-Length": multiline}, false},
		{"CR inside", map[string]string{"X-A": "a\rb"}, false},
		{"NUL inside", map[string]string{"X-A": "a\x00b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := CustomHeadersProblems(tt.headers)
			if got := problems == nil; got != tt.valid {
				t.Errorf("CustomHeadersProblems = %q; valid = %v, want %v", problems, got, tt.valid)
			}
			h := validProjectHook()
			h.CustomHeaders = tt.headers
			var want []string
			if !tt.valid {
				want = []string{"must be a valid json schema"}
			}
			if got := fieldErrors(t, h.Validate(), "custom_headers"); !slices.Equal(got, want) {
				t.Errorf("custom_headers errors = %q, want %q", got, want)
			}
			if len(tt.headers) == 1 {
				for k, v := range tt.headers {
					if got := ValidCustomHeader(k, v); got != tt.valid {
						t.Errorf("ValidCustomHeader(%q, %q) = %v, want %v", k, v, got, tt.valid)
					}
				}
			}
		})
	}
}

func TestCustomHeadersProblemsSayWhy(t *testing.T) {
	got := CustomHeadersProblems(map[string]string{
		"A": " x",
		"B": "x%0Ay",
		"C": "x\x01y",
		"D": "",
	})
	want := []string{
		`The value of "A" must not start or end with whitespace.`,
		`The value of "B" must not contain line breaks or encoded line breaks.`,
		`The value of "C" must not contain control characters.`,
		`The value of "D" is empty.`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems =\n%q\nwant\n%q", got, want)
	}
	if got, want := CustomHeadersProblems(numberedEntries(21)), []string{"There are 21 custom headers; the maximum is 20."}; !slices.Equal(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
}

func TestConnectionHeadersAreRefused(t *testing.T) {
	for _, name := range []string{"Host", "host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive",
		"Proxy-Connection", "Proxy-Authorization", "proxy-anything", "TE", "Trailer", "Upgrade"} {
		if ValidCustomHeader(name, "x") {
			t.Errorf("%s is a valid custom header", name)
		}
		if p := CustomHeadersProblems(map[string]string{name: "x"}); len(p) != 1 || !strings.Contains(p[0], "cannot be a custom header") {
			t.Errorf("%s: problems %q", name, p)
		}
	}
	for _, name := range []string{"Authorization", "Content-Type", "X-Host", "Proxied"} {
		if !ValidCustomHeader(name, "x") {
			t.Errorf("%s is refused", name)
		}
	}
}
