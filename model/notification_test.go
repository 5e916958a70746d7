package model

import (
	"errors"
	"strings"
	"testing"
)

func TestNotificationLevelNames(t *testing.T) {
	for _, tc := range []struct {
		level NotificationLevel
		value int
		name  string
	}{
		{NotificationDisabled, 0, "disabled"},
		{NotificationParticipating, 1, "participating"},
		{NotificationWatch, 2, "watch"},
		{NotificationGlobal, 3, "global"},
		{NotificationMention, 4, "mention"},
		{NotificationCustom, 5, "custom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if int(tc.level) != tc.value || tc.level.String() != tc.name || !tc.level.Valid() {
				t.Fatalf("got %d %q valid=%v, want %d %q", int(tc.level), tc.level.String(), tc.level.Valid(), tc.value, tc.name)
			}
			got, err := ParseNotificationLevel(SourceProject, tc.name)
			if err != nil || got != tc.level {
				t.Fatalf("parse %q: got %v, %v", tc.name, got, err)
			}
		})
	}
	if NotificationLevel(9).Valid() {
		t.Error("level 9 should not be valid")
	}
}

func TestParseNotificationLevelErrors(t *testing.T) {
	for _, tc := range []struct {
		name, source, in string
		kind             error
		want             string
	}{
		{"unknown", SourceProject, "loud", ErrBadRequest, "'loud' is not a valid level. Valid levels are: disabled, participating, watch, global, mention, custom"},
		{"wrong case", SourceGroup, "Watch", ErrBadRequest, "'Watch' is not a valid level"},
		{"number", SourceGroup, "2", ErrBadRequest, "'2' is not a valid level"},
		{"global for global", SourceGlobal, "global", ErrBadRequest, "'global' is not a valid level. Valid levels are: disabled, participating, watch, mention, custom"},
		{"blank", SourceProject, " ", ErrInvalid, "Level can't be blank"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNotificationLevel(tc.source, tc.in)
			if !errors.Is(err, tc.kind) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v, want %v starting %q", err, tc.kind, tc.want)
			}
		})
	}
}

func TestNotificationEventsFor(t *testing.T) {
	for _, tc := range []struct {
		source string
		n      int
		epic   bool
	}{
		{SourceGlobal, 21, true},
		{SourceGroup, 21, true},
		{SourceProject, 20, false},
	} {
		t.Run("source "+tc.source, func(t *testing.T) {
			got := NotificationEventsFor(tc.source)
			hasEpic := false
			for _, e := range got {
				hasEpic = hasEpic || e == NotifyNewEpic
			}
			if len(got) != tc.n || hasEpic != tc.epic {
				t.Fatalf("got %d events, new_epic %v; want %d, %v", len(got), hasEpic, tc.n, tc.epic)
			}
			if got[0] != NotifyNewRelease {
				t.Errorf("got first %q, want new_release (GitLab's order)", got[0])
			}
		})
	}
}

func TestNotificationEventTriState(t *testing.T) {
	on, off := true, false
	s := DefaultNotificationSetting(1, SourceProject, 7)
	for _, tc := range []struct {
		event NotificationEvent
		value *bool
		want  bool
	}{
		{NotifyNewNote, nil, false},
		{NotifyNewNote, &on, true},
		{NotifyNewNote, &off, false},
		{NotifyFailedPipeline, nil, true},
		{NotifyFailedPipeline, &off, false},
		{NotifyFixedPipeline, nil, true},
		{NotifyFixedPipeline, &off, false},
		{NotifySuccessPipeline, nil, false},
		{NotifyNewEpic, &on, false}, // a project has no epics
	} {
		s.SetEvent(tc.event, tc.value)
		got := s.EventEnabled(tc.event)
		stored := s.Event(tc.event)
		if got != tc.want || (stored == nil) != (tc.value == nil) || (stored != nil && *stored != *tc.value) {
			t.Errorf("%s=%v: got enabled %v stored %v, want %v", tc.event, tc.value, got, stored, tc.want)
		}
	}
	g := DefaultNotificationSetting(1, SourceGroup, 2)
	g.SetEvent(NotifyNewEpic, &on)
	if !g.EventEnabled(NotifyNewEpic) {
		t.Error("a group's new_epic=true should be on")
	}
}

func TestDefaultNotificationSetting(t *testing.T) {
	for _, tc := range []struct {
		source string
		want   NotificationLevel
	}{
		{SourceGlobal, NotificationParticipating},
		{SourceGroup, NotificationGlobal},
		{SourceProject, NotificationGlobal},
	} {
		if got := DefaultNotificationSetting(1, tc.source, 3).Level; got != tc.want {
			t.Errorf("source %q: got %v, want %v", tc.source, got, tc.want)
		}
	}
}

// The cascade: project → nearest non-global ancestor group → global.
func TestEffectiveNotificationLevel(t *testing.T) {
	global := func(l NotificationLevel) NotificationSetting {
		s := DefaultNotificationSetting(1, SourceGlobal, 0)
		s.Level = l
		return s
	}
	proj := func(l NotificationLevel) NotificationSetting {
		s := DefaultNotificationSetting(1, SourceProject, 100)
		s.Level = l
		return s
	}
	// groups builds a chain of group settings, nearest first (the
	// project's own group, its parent, ... the root).
	groups := func(ls ...NotificationLevel) []NotificationSetting {
		out := make([]NotificationSetting, len(ls))
		for i, l := range ls {
			out[i] = DefaultNotificationSetting(1, SourceGroup, int64(i+1))
			out[i].Level = l
		}
		return out
	}
	G, W, P, M, D, C := NotificationGlobal, NotificationWatch, NotificationParticipating, NotificationMention, NotificationDisabled, NotificationCustom
	deep := make([]NotificationLevel, 20)
	for i := range deep {
		deep[i] = G
	}
	deepRoot := append(append([]NotificationLevel(nil), deep...), D)
	deepMiddle := append([]NotificationLevel(nil), deep...)
	deepMiddle[12] = M
	deepMiddle[17] = W

	for _, tc := range []struct {
		name    string
		global  NotificationLevel
		project NotificationLevel
		groups  []NotificationLevel
		want    NotificationLevel
		wantSrc string
		wantID  int64
	}{
		{"all default", P, G, nil, P, SourceGlobal, 0},
		{"project wins", P, W, []NotificationLevel{D}, W, SourceProject, 100},
		{"project disabled wins over group", W, D, []NotificationLevel{W}, D, SourceProject, 100},
		{"project custom", P, C, nil, C, SourceProject, 100},
		{"own group", P, G, []NotificationLevel{M}, M, SourceGroup, 1},
		{"parent group when own group is global", P, G, []NotificationLevel{G, W}, W, SourceGroup, 2},
		{"nearest non-global ancestor wins", P, G, []NotificationLevel{G, D, W}, D, SourceGroup, 2},
		{"every group global falls to the user", W, G, []NotificationLevel{G, G, G}, W, SourceGlobal, 0},
		{"deep nesting reaches the root", P, G, deepRoot, D, SourceGroup, 21},
		{"deep nesting stops at the nearest", P, G, deepMiddle, M, SourceGroup, 13},
		{"deep nesting all global", C, G, deep, C, SourceGlobal, 0},
		{"global saying global counts as participating", G, G, []NotificationLevel{G}, P, SourceGlobal, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chain := append([]NotificationSetting{proj(tc.project)}, groups(tc.groups...)...)
			got := EffectiveNotificationSetting(global(tc.global), chain...)
			if got.Level != tc.want || got.SourceType != tc.wantSrc || got.SourceID != tc.wantID {
				t.Fatalf("got %v from %q #%d, want %v from %q #%d", got.Level, got.SourceType, got.SourceID, tc.want, tc.wantSrc, tc.wantID)
			}
			if l := EffectiveNotificationLevel(global(tc.global), chain...); l != tc.want {
				t.Fatalf("level: got %v, want %v", l, tc.want)
			}
		})
	}
}

// A group's own effective level starts its chain at the group.
func TestEffectiveNotificationLevelForGroup(t *testing.T) {
	g := DefaultNotificationSetting(1, SourceGroup, 2)
	parent := DefaultNotificationSetting(1, SourceGroup, 1)
	parent.Level = NotificationWatch
	gl := DefaultNotificationSetting(1, SourceGlobal, 0)
	if got := EffectiveNotificationLevel(gl, g, parent); got != NotificationWatch {
		t.Fatalf("got %v, want watch from the parent", got)
	}
	if got := EffectiveNotificationLevel(gl, g); got != NotificationParticipating {
		t.Fatalf("got %v, want the global participating", got)
	}
}

func TestCheckNotificationEmail(t *testing.T) {
	verified := []string{"alice@example.com", "Alice.Work@example.org"}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"alice@example.com", "alice@example.com", true},
		{"alice.work@EXAMPLE.org", "Alice.Work@example.org", true},
		{"", "", true},
		{"someone@else.com", "", false},
	} {
		got, err := CheckNotificationEmail(tc.in, verified)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil {
			v, _ := AsValidation(err)
			if msgs := v.For("notification_email"); len(msgs) != 1 || msgs[0] != "must be an email you have verified" {
				t.Errorf("got messages %v", msgs)
			}
		}
	}
	for _, tc := range []struct{ chosen, want string }{
		{"", "alice@example.com"},
		{"Alice.Work@example.org", "Alice.Work@example.org"},
		{"gone@example.com", "alice@example.com"}, // no longer verified
	} {
		if got := NotificationEmailOrDefault(tc.chosen, verified); got != tc.want {
			t.Errorf("or default %q: got %q, want %q", tc.chosen, got, tc.want)
		}
	}
}
