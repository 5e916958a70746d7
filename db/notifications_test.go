package db_test

import (
	"fmt"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

func TestNotificationSettingDefaults(t *testing.T) {
	s := dbtest.Open(t)
	u := dbtest.User(t, s, "alice", false)
	g := dbtest.Group(t, s, "acme", nil, u)
	p := dbtest.Project(t, s, "api", g)
	for _, tc := range []struct {
		source string
		id     int64
		want   model.NotificationLevel
	}{
		{model.SourceGlobal, 0, model.NotificationParticipating},
		{model.SourceGroup, g.ID, model.NotificationGlobal},
		{model.SourceProject, p.ID, model.NotificationGlobal},
	} {
		got, err := s.NotificationSetting(ctx, u.ID, tc.source, tc.id)
		if err != nil || got.Level != tc.want || got.SourceType != tc.source || got.SourceID != tc.id || len(got.Events) != 0 {
			t.Errorf("source %q: got %+v, %v; want level %v and no events", tc.source, got, err, tc.want)
		}
	}
	rows, err := s.UserNotificationSettings(ctx, u.ID)
	if err != nil || len(rows) != 0 {
		t.Fatalf("reading defaults stored rows: %v, %v", rows, err)
	}
}

func TestSaveNotificationSettingRoundTrip(t *testing.T) {
	s := dbtest.Open(t)
	u := dbtest.User(t, s, "alice", false)
	bob := dbtest.User(t, s, "bob", false)
	g := dbtest.Group(t, s, "acme", nil, u)
	p := dbtest.Project(t, s, "api", g)
	on, off := true, false

	global := model.DefaultNotificationSetting(u.ID, model.SourceGlobal, 0)
	global.Level = model.NotificationCustom
	global.NotificationEmail = "alice@example.com"
	global.SetEvent(model.NotifyNewEpic, &on)
	global.SetEvent(model.NotifyFailedPipeline, &off)
	proj := model.DefaultNotificationSetting(u.ID, model.SourceProject, p.ID)
	proj.Level = model.NotificationWatch
	proj.SetEvent(model.NotifyNewNote, &on)
	grp := model.DefaultNotificationSetting(u.ID, model.SourceGroup, g.ID)
	grp.Level = model.NotificationDisabled
	for _, st := range []model.NotificationSetting{global, proj, grp} {
		if err := s.SaveNotificationSetting(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	// Saving again replaces, including turning an event back to null.
	proj.Level = model.NotificationCustom
	proj.SetEvent(model.NotifyNewNote, nil)
	proj.SetEvent(model.NotifyMovedProject, &off)
	if err := s.SaveNotificationSetting(ctx, proj); err != nil {
		t.Fatal(err)
	}

	got, err := s.GlobalNotificationSetting(ctx, u.ID)
	if err != nil || got.Level != model.NotificationCustom || got.NotificationEmail != "alice@example.com" ||
		!eventIs(got, model.NotifyNewEpic, &on) || !eventIs(got, model.NotifyFailedPipeline, &off) || !eventIs(got, model.NotifyNewNote, nil) {
		t.Errorf("global: got %+v, %v", got, err)
	}
	got, err = s.NotificationSetting(ctx, u.ID, model.SourceProject, p.ID)
	if err != nil || got.Level != model.NotificationCustom || !eventIs(got, model.NotifyNewNote, nil) || !eventIs(got, model.NotifyMovedProject, &off) {
		t.Errorf("project: got %+v, %v", got, err)
	}
	got, err = s.NotificationSetting(ctx, u.ID, model.SourceGroup, g.ID)
	if err != nil || got.Level != model.NotificationDisabled {
		t.Errorf("group: got %+v, %v", got, err)
	}
	// Another user's settings are their own.
	other, err := s.NotificationSetting(ctx, bob.ID, model.SourceProject, p.ID)
	if err != nil || other.Level != model.NotificationGlobal {
		t.Errorf("bob: got %+v, %v", other, err)
	}
	rows, err := s.UserNotificationSettings(ctx, u.ID)
	if err != nil || len(rows) != 3 {
		t.Errorf("got %d rows (%v), want 3 (one per source, updates in place)", len(rows), err)
	}
}

func eventIs(s model.NotificationSetting, e model.NotificationEvent, want *bool) bool {
	got := s.Event(e)
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	return *got == *want
}

// The cascade through the store: project → nearest non-global ancestor
// group → global, over a deep tree.
func TestEffectiveNotificationSettingDeepNesting(t *testing.T) {
	s := dbtest.Open(t)
	u := dbtest.User(t, s, "alice", false)
	var chain []*model.Group
	var parent *model.Group
	for i := range 12 {
		parent = dbtest.Group(t, s, fmt.Sprintf("g%d", i), parent, u)
		chain = append(chain, parent) // chain[0] is the root
	}
	p := dbtest.Project(t, s, "deep", parent)
	set := func(source string, id int64, l model.NotificationLevel) {
		t.Helper()
		st := model.DefaultNotificationSetting(u.ID, source, id)
		st.Level = l
		if err := s.SaveNotificationSetting(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string, source string, id int64, want model.NotificationLevel, wantSource string, wantID int64) {
		t.Helper()
		got, err := s.EffectiveNotificationSetting(ctx, u.ID, source, id)
		if err != nil || got.Level != want || got.SourceType != wantSource || got.SourceID != wantID {
			t.Errorf("%s: got %v from %q #%d (%v), want %v from %q #%d", name, got.Level, got.SourceType, got.SourceID, err, want, wantSource, wantID)
		}
	}
	check("all default", model.SourceProject, p.ID, model.NotificationParticipating, model.SourceGlobal, 0)
	set(model.SourceGlobal, 0, model.NotificationWatch)
	check("global", model.SourceProject, p.ID, model.NotificationWatch, model.SourceGlobal, 0)
	set(model.SourceGroup, chain[0].ID, model.NotificationDisabled)
	check("root", model.SourceProject, p.ID, model.NotificationDisabled, model.SourceGroup, chain[0].ID)
	set(model.SourceGroup, chain[4].ID, model.NotificationMention)
	check("nearest", model.SourceProject, p.ID, model.NotificationMention, model.SourceGroup, chain[4].ID)
	check("group above the nearest", model.SourceGroup, chain[3].ID, model.NotificationDisabled, model.SourceGroup, chain[0].ID)
	check("group itself", model.SourceGroup, chain[4].ID, model.NotificationMention, model.SourceGroup, chain[4].ID)
	set(model.SourceGroup, chain[11].ID, model.NotificationGlobal)
	check("explicit global defers", model.SourceProject, p.ID, model.NotificationMention, model.SourceGroup, chain[4].ID)
	set(model.SourceProject, p.ID, model.NotificationCustom)
	check("project", model.SourceProject, p.ID, model.NotificationCustom, model.SourceProject, p.ID)

	c, err := s.NotificationChain(ctx, u.ID, model.SourceProject, p.ID)
	if err != nil || len(c) != 13 || c[0].SourceType != model.SourceProject || c[1].SourceID != chain[11].ID || c[12].SourceID != chain[0].ID {
		t.Fatalf("chain: got %d settings (%v), want project then 12 groups nearest first", len(c), err)
	}
}
