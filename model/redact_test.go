package model

import (
	"fmt"
	"sort"
	"testing"
)

func headerPairs(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for _, k := range keys {
		s += fmt.Sprintf("%s=%s;", k, m[k])
	}
	return s
}

func TestRedactRequestHeaders(t *testing.T) {
	sent := map[string]string{
		"Content-Type":          "application/json",
		"User-Agent":            "GitLab/1.0.0",
		"X-Gitlab-Event":        "Push Hook",
		"X-Gitlab-Token":        "s3cret",
		"X-Gitlab-Instance":     "https://hooklab.example.com",
		"Idempotency-Key":       "f5e5f430-f57b-4e6e-9fac-d9128cd7232f",
		"Authorization":         "Bearer xyz",
		"x-api-key":             "abc",
		"X-Gitlab-Webhook-UUID": "02affd2d-2cba-4033-917d-ec22d5dc4b38",
	}
	// "user-agent" is a custom header that the delivery header overrode.
	custom := []string{"authorization", "X-API-Key", "user-agent"}
	got := RedactRequestHeaders(sent, custom)
	want := map[string]string{
		"Content-Type":          "application/json",
		"User-Agent":            "GitLab/1.0.0",
		"X-Gitlab-Event":        "Push Hook",
		"X-Gitlab-Token":        "[REDACTED]",
		"X-Gitlab-Instance":     "https://hooklab.example.com",
		"Idempotency-Key":       "f5e5f430-f57b-4e6e-9fac-d9128cd7232f",
		"Authorization":         "[REDACTED]",
		"x-api-key":             "[REDACTED]",
		"X-Gitlab-Webhook-UUID": "02affd2d-2cba-4033-917d-ec22d5dc4b38",
	}
	if headerPairs(got) != headerPairs(want) {
		t.Errorf("got  %s\nwant %s", headerPairs(got), headerPairs(want))
	}
	if sent["X-Gitlab-Token"] != "s3cret" {
		t.Errorf("input was modified")
	}
	if got := RedactRequestHeaders(map[string]string{"x-gitlab-token": "t"}, nil); got["x-gitlab-token"] != Redacted {
		t.Errorf("lower-case token header: got %q", got["x-gitlab-token"])
	}
}

func TestIsEmail(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"admin@example.com", true},
		{"john.smith+tag@sub.example.co.uk", true},
		{"user@localhost", true},
		{"o'brien@example.com", true},
		{"gitlabdev@dv6700.(none)", false},
		{"John <john@example.com>", false},
		{"mail john@example.com now", false},
		{"@example.com", false},
		{"john@", false},
		{"john@-example.com", false},
		{"git@example.com:jsmith/example.git", false},
		{"admin@example.com\n", false},
		{"[REDACTED]", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := IsEmail(tt.in); got != tt.want {
				t.Errorf("IsEmail(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactEmailsJSON(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{
			"push payload fields",
			`{"user_email":"john@example.com","commits":[{"author":{"name":"Jordi","email":"jordi@softcatala.org"}},{"author":{"email":"gitlabdev@dv6700.(none)"}}]}`,
			`{"user_email":"[REDACTED]","commits":[{"author":{"name":"Jordi","email":"[REDACTED]"}},{"author":{"email":"gitlabdev@dv6700.(none)"}}]}`,
		},
		{"array of strings", `{"to":["a@example.com","not an email"]}`, `{"to":["[REDACTED]","not an email"]}`},
		{"keys are kept", `{"a@example.com":1}`, `{"a@example.com":1}`},
		{"embedded address is kept", `{"message":"Signed-off-by: Example User <user@example.com>"}`, `{"message":"Signed-off-by: Example User <user@example.com>"}`},
		{"other types untouched", `{"n":1,"b":true,"z":null}`, `{"n":1,"b":true,"z":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RedactEmailsJSON([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	if got := RedactEmails("x@example.com"); got != Redacted {
		t.Errorf("RedactEmails(string) = %v", got)
	}
	if _, err := RedactEmailsJSON([]byte(`{`)); err == nil {
		t.Errorf("invalid JSON: no error")
	}
}

func TestMaskResponseHeaders(t *testing.T) {
	vars := map[string]string{"token": "abc123", "path": "hooks/abc123/x", "host": "example.com", "dup": "abc123"}
	headers := map[string]string{
		"Location":       "https://example.com/hooks/abc123/x?t=abc123",
		"X-Echo":         "abc123",
		"Content-Type":   "text/plain",
		"X-Request-Path": "/hooks/abc123/x",
	}
	got := MaskResponseHeaders(headers, vars)
	want := map[string]string{
		"Location":       "https://{host}/{path}?t={dup}",
		"X-Echo":         "{dup}",
		"Content-Type":   "text/plain",
		"X-Request-Path": "/{path}",
	}
	if headerPairs(got) != headerPairs(want) {
		t.Errorf("got  %s\nwant %s", headerPairs(got), headerPairs(want))
	}
	if headers["X-Echo"] != "abc123" {
		t.Errorf("input was modified")
	}
	if got := MaskResponseHeaders(map[string]string{"A": "b"}, nil); got["A"] != "b" {
		t.Errorf("no variables: got %q", got["A"])
	}
}

func TestMaskURLUserinfo(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:pass@example.com/hook", "https://*****:*****@example.com/hook"},
		{"https://user@example.com/hook", "https://*****:*****@example.com/hook"},
		{"http://{user}:{password}@{domain}.com/{hook}", "http://*****:*****@{domain}.com/{hook}"},
		{"https://us%40er:p%3Ass@example.com", "https://*****:*****@example.com"},
		{"https://example.com/hook?email=a@b.c", "https://example.com/hook?email=a@b.c"},
		{"https://example.com/{path}", "https://example.com/{path}"},
		// Any RFC 3986 userinfo: a hyphen, sub-delims, an "@" url.Parse
		// keeps in the userinfo, and URLs inside the URL.
		{"http://user:pa-ss@example.com/", "http://*****:*****@example.com/"},
		{"http://us-er:p~a_s.s!$&'()*+,;=@example.com/", "http://*****:*****@example.com/"},
		{"http://user:p@ss@example.com/x", "http://*****:*****@example.com/x"},
		{"http://user:{pw}@example.com/x?next=https://a-b:c-d@other.example/", "http://*****:*****@example.com/x?next=https://*****:*****@other.example/"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := MaskURLUserinfo(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// The scanning fast path of RedactEmailsJSON agrees with redacting the
// decoded tree on every sample payload and on tricky shapes.
func TestRedactEmailsJSONFastPathMatchesTheTree(t *testing.T) {
	inputs := []string{
		`{"user_email":"jsmith@example.com","email_key@example.com":"x","name":"John <john@example.com>","list":["a@b.co","no"],"n":1}`,
		`{ "a" : "x@y.org" , "b" : { "c@d.org" : [ "e@f.org" , 2 ] } }`,
		`{"a":"escaped\"quote@x.org"}`,
		`{"a":"plain","b":null}`,
		`["x@y.org","x@"]`,
	}
	for _, tr := range Triggers {
		if b, ok := SampleJSON(tr); ok {
			inputs = append(inputs, string(b))
		}
	}
	for _, in := range inputs {
		fast, err := RedactEmailsJSON([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		v, err := DecodeJSON([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		slow, _ := EncodeJSON(RedactEmails(v))
		got, _ := DecodeJSON(fast)
		gotEnc, _ := EncodeJSON(got)
		if string(gotEnc) != string(slow) {
			t.Errorf("input %s\n got %s\nwant %s", in, gotEnc, slow)
		}
	}
}
