package model

import (
	"errors"
	"strings"
	"testing"
)

func TestSplitBasicAuth(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want HookTarget
	}{
		{"no userinfo", "https://example.com/hook?a=b",
			HookTarget{URL: "https://example.com/hook?a=b"}},
		{"user and password", "https://user:s3cret@example.com/hook?a=b",
			HookTarget{URL: "https://example.com/hook?a=b", BasicAuth: true, Username: "user", Password: "s3cret"}},
		{"user only", "https://user@example.com/",
			HookTarget{URL: "https://example.com/", BasicAuth: true, Username: "user"}},
		{"password only", "https://:s3cret@example.com/",
			HookTarget{URL: "https://example.com/", BasicAuth: true, Password: "s3cret"}},
		{"empty userinfo is no auth", "https://@example.com/",
			HookTarget{URL: "https://@example.com/"}},
		{"unescaped like CGI.unescape", "https://us%40er:p%2Bss+word%3A@example.com/",
			HookTarget{URL: "https://example.com/", BasicAuth: true, Username: "us@er", Password: "p+ss word:"}},
		{"port kept", "http://u:p@example.com:8080/x",
			HookTarget{URL: "http://example.com:8080/x", BasicAuth: true, Username: "u", Password: "p"}},
		{"@ in the query is not userinfo", "https://example.com/x?mail=a@b.c",
			HookTarget{URL: "https://example.com/x?mail=a@b.c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitBasicAuth(tt.url)
			if err != nil {
				t.Fatalf("SplitBasicAuth error = %v", err)
			}
			if got != tt.want {
				t.Errorf("SplitBasicAuth = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSplitBasicAuthRefusesWithoutLeakingTheURL(t *testing.T) {
	for _, raw := range []string{
		"https://user:s3cret@exa mple.com/",
		"ftp://user:s3cret@example.com/",
		"s3cret",
		"http:///s3cret",
	} {
		_, err := SplitBasicAuth(raw)
		if err == nil {
			t.Errorf("SplitBasicAuth(%q) error = nil, want one", raw)
			continue
		}
		if got, want := err.Error(), "URI is invalid"; got != want {
			t.Errorf("SplitBasicAuth(%q) error = %q, want %q", raw, got, want)
		}
		if strings.Contains(err.Error(), "s3cret") || !errors.Is(err, ErrInvalid) {
			t.Errorf("SplitBasicAuth(%q) error %q leaks the URL or is not ErrInvalid", raw, err)
		}
	}
}

func TestHookTarget(t *testing.T) {
	h := validProjectHook()
	h.URL = "https://{user}:{password}@example.com/{path}"
	h.URLVariables = map[string]string{"user": "bob", "password": "hunter2", "path": "deploy"}
	got, err := h.Target()
	if err != nil {
		t.Fatalf("Target() error = %v", err)
	}
	want := HookTarget{URL: "https://example.com/deploy", BasicAuth: true, Username: "bob", Password: "hunter2"}
	if got != want {
		t.Errorf("Target() = %+v, want %+v", got, want)
	}

	h.URLVariables = map[string]string{"user": "bob"}
	if _, err := h.Target(); err == nil || err.Error() != "Invalid URL template. Missing key password" {
		t.Errorf("Target() error = %v, want the missing key", err)
	}
}

func TestMaskURLCredentials(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{"http://user:s3cret@example.com/x", "http://*****:*****@example.com/x"},
		{"http://user@example.com/x", "http://*****@example.com/x"},
		{"http://example.com/x", "http://example.com/x"},
		{"http://{user}:{pwd}@example.com/{path}", "http://*****:*****@example.com/{path}"},
		{"http://example.com/a@b", "http://example.com/a@b"},
		{"http://example.com?to=a@b", "http://example.com?to=a@b"},
		{"http://example.com#a@b", "http://example.com#a@b"},
		{"{url}", "{url}"},
		{"http://a@b:c@example.com/", "http://*****:*****@example.com/"},
	}
	for _, tt := range tests {
		if got := MaskURLCredentials(tt.url); got != tt.want {
			t.Errorf("MaskURLCredentials(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestMaskURLPassword(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"http://user:pa-ss@example.com/x", "http://user:*****@example.com/x"},
		{"http://user:p@ss@example.com/x", "http://user:*****@example.com/x"},
		{"http://user@example.com/x", "http://user@example.com/x"},
		{"http://user:@example.com/x", "http://user:@example.com/x"},
		{"http://user:{pw}@example.com/x", "http://user:{pw}@example.com/x"},
		{"http://example.com/a:b@c", "http://example.com/a:b@c"},
	} {
		if got := MaskURLPassword(tt.in); got != tt.want {
			t.Errorf("MaskURLPassword(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	stored := "http://user:pa-ss@example.com/x"
	if got := KeepURLPassword("http://user:*****@example.com/x", stored); got != stored {
		t.Errorf("unchanged: %q", got)
	}
	for _, posted := range []string{"http://user:*****@example.com/y", "http://other:*****@example.com/x", "http://user:new@example.com/x"} {
		if got := KeepURLPassword(posted, stored); got != posted {
			t.Errorf("KeepURLPassword(%q) = %q, want it as posted", posted, got)
		}
	}
}
