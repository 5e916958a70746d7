package model

import (
	"strings"
	"testing"
	"time"
)

func TestParseAccessLevel(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want AccessLevel
		ok   bool
	}{
		{"10", Guest, true}, {" 30 ", Developer, true}, {"50", Owner, true}, {"maintainer", Maintainer, true},
		{"Reporter", Reporter, true}, {"0", NoAccess, false}, {"60", 0, false}, {"35", 0, false}, {"", 0, false}, {"admin", 0, false},
	} {
		got, ok := ParseAccessLevel(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%q: got %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestInheritedLevelProblem(t *testing.T) {
	if msg := InheritedLevelProblem(Reporter, Developer, "Acme"); msg != "should be greater than or equal to Developer inherited membership from group Acme" {
		t.Errorf("lower than inherited: got %q", msg)
	}
	for _, tc := range []struct{ level, inherited AccessLevel }{{Developer, Developer}, {Owner, Developer}, {Guest, NoAccess}} {
		if msg := InheritedLevelProblem(tc.level, tc.inherited, "Acme"); msg != "" {
			t.Errorf("%v over inherited %v: got %q, want no problem", tc.level, tc.inherited, msg)
		}
	}
}

func TestMembershipExpiry(t *testing.T) {
	now := time.Date(2025, 3, 10, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in, want, msg string
	}{
		{"", "", ""},
		{"2025-03-10", "2025-03-10", ""},
		{"2025-04-01", "2025-04-01", ""},
		{"2025-04-01T00:00:00Z", "2025-04-01", ""},
		{"2025-03-09", "", "cannot be a date in the past"},
		{"next week", "", "is invalid"},
	} {
		got, msg := MembershipExpiry(tc.in, now)
		gotS := ""
		if got != nil {
			gotS = got.Format("2006-01-02")
		}
		if gotS != tc.want || msg != tc.msg {
			t.Errorf("%q: got %q %q, want %q %q", tc.in, gotS, msg, tc.want, tc.msg)
		}
	}
}

func TestInviteMailCarriesTheTokenForMailgun(t *testing.T) {
	m := InviteMail("new@example.org", "Olive Owner (@owner)", "group", "Acme", Owner, "https://hooklab.example.com/", "tok123")
	switch {
	case m.To != "new@example.org":
		t.Errorf("got To %q", m.To)
	case m.Subject != "Invitation to join the Acme group":
		t.Errorf("got subject %q", m.Subject)
	case m.Tag != "invite_email":
		t.Errorf("got tag %q", m.Tag)
	case len(m.Variables) != 1 || m.Variables["invite_token"] != "tok123":
		t.Errorf("got variables %v", m.Variables)
	case !strings.Contains(m.Body, "https://hooklab.example.com/-/invites/tok123\n"):
		t.Errorf("no accept link in:\n%s", m.Body)
	case !strings.Contains(m.Body, "Olive Owner (@owner) invited you to join the Acme group as an Owner."):
		t.Errorf("body:\n%s", m.Body)
	}
}
