package db_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

func TestAllMembersKeepsEachUsersHighestMembership(t *testing.T) {
	s := dbtest.Open(t)
	owner := dbtest.User(t, s, "owner", false)
	dev := dbtest.User(t, s, "dev", false)
	rep := dbtest.User(t, s, "rep", false)
	acme := dbtest.Group(t, s, "acme", nil, owner)
	platform := dbtest.Group(t, s, "platform", acme, nil)
	api := dbtest.Project(t, s, "api", platform)
	dbtest.Member(t, s, model.SourceGroup, acme.ID, dev, model.Reporter)
	dbtest.Member(t, s, model.SourceGroup, platform.ID, dev, model.Maintainer) // nearer and higher
	dbtest.Member(t, s, model.SourceGroup, acme.ID, rep, model.Developer)
	dbtest.Member(t, s, model.SourceProject, api.ID, rep, model.Developer) // a tie: the direct one wins
	email := "pending@example.org"
	if err := s.CreateInvite(ctx, &model.Member{SourceType: model.SourceProject, SourceID: api.ID, AccessLevel: model.Guest, InviteEmail: &email}, "t"); err != nil {
		t.Fatal(err)
	}

	got, err := s.AllMembers(ctx, model.SourceProject, api.ID)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		user   string
		level  model.AccessLevel
		source string
	}
	want := []row{{"owner", model.Owner, "acme"}, {"dev", model.Maintainer, "acme/platform"}, {"rep", model.Developer, "acme/platform/api"}}
	if len(got) != len(want) {
		t.Fatalf("got %d members %+v, want %d (no invites)", len(got), got, len(want))
	}
	for i, w := range want {
		if got[i].Username != w.user || got[i].AccessLevel != w.level || got[i].SourcePath != w.source {
			t.Errorf("row %d: got %s %v from %s, want %+v", i, got[i].Username, got[i].AccessLevel, got[i].SourcePath, w)
		}
	}
	if got[2].Inherits(model.SourceProject, api.ID) || !got[0].Inherits(model.SourceProject, api.ID) {
		t.Error("Inherits does not tell direct from inherited")
	}

	groupView, err := s.AllMembers(ctx, model.SourceGroup, acme.ID)
	if err != nil || len(groupView) != 3 || groupView[1].Username != "rep" || groupView[2].AccessLevel != model.Reporter {
		t.Fatalf("acme's members: %+v (%v)", groupView, err)
	}
}

func TestInheritedAccess(t *testing.T) {
	s := dbtest.Open(t)
	owner := dbtest.User(t, s, "owner", false)
	dev := dbtest.User(t, s, "dev", false)
	acme := dbtest.Group(t, s, "acme", nil, owner)
	platform := dbtest.Group(t, s, "platform", acme, nil)
	api := dbtest.Project(t, s, "api", platform)
	dbtest.Member(t, s, model.SourceGroup, platform.ID, dev, model.Developer)

	for _, tc := range []struct {
		name       string
		user       *model.User
		sourceType string
		id         int64
		level      model.AccessLevel
		from       string
	}{
		{"top-level group inherits nothing", owner, model.SourceGroup, acme.ID, model.NoAccess, ""},
		{"subgroup from its parent", owner, model.SourceGroup, platform.ID, model.Owner, "acme"},
		{"the group's own membership is not inherited", dev, model.SourceGroup, platform.ID, model.NoAccess, ""},
		{"project from its group", dev, model.SourceProject, api.ID, model.Developer, "platform"},
		{"project from an ancestor", owner, model.SourceProject, api.ID, model.Owner, "acme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			level, from, err := s.InheritedAccess(ctx, tc.user.ID, tc.sourceType, tc.id)
			if err != nil || level != tc.level || from != tc.from {
				t.Fatalf("got %v from %q (%v), want %v from %q", level, from, err, tc.level, tc.from)
			}
		})
	}
}

func TestUpdateMemberSetsLevelAndExpiryButKeepsAnOwner(t *testing.T) {
	s := dbtest.Open(t)
	owner := dbtest.User(t, s, "owner", false)
	dev := dbtest.User(t, s, "dev", false)
	acme := dbtest.Group(t, s, "acme", nil, owner)
	dbtest.Member(t, s, model.SourceGroup, acme.ID, dev, model.Developer)
	m, _ := s.Member(ctx, model.SourceGroup, acme.ID, dev.ID)
	exp := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	if err := s.UpdateMember(ctx, m.ID, model.Owner, &exp); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Member(ctx, model.SourceGroup, acme.ID, dev.ID)
	if got.AccessLevel != model.Owner || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
		t.Fatalf("got %+v", got)
	}
	// Two owners: one may step down, then the other may not.
	om, _ := s.Member(ctx, model.SourceGroup, acme.ID, owner.ID)
	if err := s.UpdateMember(ctx, om.ID, model.Maintainer, nil); err != nil {
		t.Fatalf("step down with another owner: %v", err)
	}
	if err := s.UpdateMember(ctx, m.ID, model.Developer, nil); !errors.Is(err, model.ErrForbidden) {
		t.Fatalf("last owner: got %v, want forbidden", err)
	}
	if err := s.UpdateMember(ctx, 9999, model.Developer, nil); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("unknown member: got %v, want not found", err)
	}
}

func TestInviteEmailIsUniquePerSource(t *testing.T) {
	s := dbtest.Open(t)
	acme := dbtest.Group(t, s, "acme", nil, nil)
	other := dbtest.Group(t, s, "other", nil, nil)
	email := "a@example.org"
	inv := func(id int64, addr, raw string) error {
		return s.CreateInvite(ctx, &model.Member{SourceType: model.SourceGroup, SourceID: id, AccessLevel: model.Guest, InviteEmail: &addr}, raw)
	}
	if err := inv(acme.ID, email, "1"); err != nil {
		t.Fatal(err)
	}
	if err := inv(acme.ID, "A@Example.org", "2"); !errors.Is(err, model.ErrConflict) {
		t.Fatalf("same address other case: got %v, want conflict", err)
	}
	if err := inv(other.ID, email, "3"); err != nil {
		t.Fatalf("same address elsewhere: %v", err)
	}
}
