package model

import (
	"slices"
	"testing"
)

func TestMalformedAllowlistEntries(t *testing.T) {
	good := []string{"example.com", "hooks.example.com.", "localhost", "my_host", "192.168.1.1", "10.0.0.0/8", "10.0.0.0/255.0.0.0",
		"fe80::1", "[::1]:8080", "127.0.0.1:3000", "example.com:443", "1:0:0:0:0:0:0:0/124"}
	if bad := MalformedAllowlistEntries(good); len(bad) != 0 {
		t.Errorf("good entries refused: %v", bad)
	}
	bad := []string{"host!!", "10.0.0.0/33", "300.1.1.1", "*.example.com", "-x.example.com", "a/b", "exa mple"}
	if got := MalformedAllowlistEntries(bad); !slices.Equal(got, bad) {
		t.Errorf("got %v, want every one of %v", got, bad)
	}
	// ValidateAllowlist reports these already, with GitLab's messages.
	if got := MalformedAllowlistEntries([]string{"example.com:99999", "bücher.example", "<b>x</b>"}); len(got) != 0 {
		t.Errorf("reported twice: %v", got)
	}
}
