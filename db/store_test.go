package db_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

var ctx = context.Background()

func TestUsersAreUniqueByUsernameAndEmail(t *testing.T) {
	s := dbtest.Open(t)
	dbtest.User(t, s, "alice", false)
	for _, tc := range []struct {
		name, username, email, field string
	}{
		{"same username other case", "ALICE", "other@example.com", "username"},
		{"same primary email", "bob", "Alice@Example.com", "email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.CreateUser(ctx, &model.User{Username: tc.username, Name: "x", Email: tc.email, PasswordHash: "h"})
			v, ok := model.AsValidation(err)
			if !ok || len(v.For(tc.field)) == 0 {
				t.Fatalf("got %v, want a validation error on %s", err, tc.field)
			}
		})
	}
	n, err := s.CountUsers(ctx)
	if err != nil || n != 1 {
		t.Fatalf("got %d users (%v), want 1", n, err)
	}
}

func TestGroupTreeAccessIsInheritedAndHighestWins(t *testing.T) {
	s := dbtest.Open(t)
	owner := dbtest.User(t, s, "owner", false)
	dev := dbtest.User(t, s, "dev", false)
	stranger := dbtest.User(t, s, "stranger", false)
	acme := dbtest.Group(t, s, "acme", nil, owner)
	platform := dbtest.Group(t, s, "platform", acme, nil)
	infra := dbtest.Group(t, s, "infra", platform, nil)
	api := dbtest.Project(t, s, "api", infra)
	if api.FullPath != "acme/platform/infra/api" {
		t.Fatalf("got full path %q", api.FullPath)
	}
	dbtest.Member(t, s, model.SourceGroup, platform.ID, dev, model.Developer)
	dbtest.Member(t, s, model.SourceProject, api.ID, dev, model.Maintainer)

	for _, tc := range []struct {
		user *model.User
		want model.AccessLevel
	}{{owner, model.Owner}, {dev, model.Maintainer}, {stranger, model.NoAccess}} {
		got, err := s.ProjectAccess(ctx, tc.user.ID, api)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %v (%v), want %v", tc.user.Username, got, err, tc.want)
		}
	}
	if got, _ := s.GroupAccess(ctx, dev.ID, infra.ID); got != model.Developer {
		t.Errorf("dev in infra: got %v, want Developer", got)
	}
	if got, _ := s.GroupAccess(ctx, dev.ID, acme.ID); got != model.NoAccess {
		t.Errorf("dev in acme: got %v, want no access", got)
	}
	anc, err := s.GroupAncestors(ctx, infra.ID)
	if err != nil || len(anc) != 2 || anc[0].ID != acme.ID || anc[1].ID != platform.ID {
		t.Errorf("ancestors of infra: got %+v (%v)", anc, err)
	}
	groups, total, err := s.Groups(ctx, db.GroupFilter{VisibleTo: dev.ID, Page: db.Page{Page: 1, PerPage: 20}})
	if err != nil || total != 3 || len(groups) != 3 {
		t.Errorf("groups visible to dev: got %d/%d (%v), want all 3", len(groups), total, err)
	}
	projects, total, err := s.Projects(ctx, db.ProjectFilter{VisibleTo: stranger.ID, Page: db.Page{Page: 1, PerPage: 20}})
	if err != nil || total != 0 || len(projects) != 0 {
		t.Errorf("projects visible to stranger: got %d (%v), want none", total, err)
	}
}

func TestPathsAreSharedBetweenGroupsAndProjects(t *testing.T) {
	s := dbtest.Open(t)
	acme := dbtest.Group(t, s, "acme", nil, nil)
	dbtest.Project(t, s, "api", acme)
	err := s.CreateGroup(ctx, &model.Group{Name: "API", Path: "API", ParentID: &acme.ID}, 0)
	if v, ok := model.AsValidation(err); !ok || len(v.For("path")) == 0 {
		t.Fatalf("got %v, want path taken", err)
	}
	if _, err := s.GroupByPath(ctx, "acme/API"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("the refused group was stored: %v", err)
	}
}

func TestLastOwnerCannotBeRemoved(t *testing.T) {
	s := dbtest.Open(t)
	owner := dbtest.User(t, s, "owner", false)
	acme := dbtest.Group(t, s, "acme", nil, owner)
	m, err := s.Member(ctx, model.SourceGroup, acme.ID, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(ctx, m.ID); !errors.Is(err, model.ErrForbidden) {
		t.Fatalf("got %v, want forbidden", err)
	}
	if err := s.UpdateMemberAccess(ctx, m.ID, model.Maintainer); !errors.Is(err, model.ErrForbidden) {
		t.Fatalf("got %v, want forbidden", err)
	}
}

func TestInvitesAreFoundByRawTokenOnly(t *testing.T) {
	s := dbtest.Open(t)
	acme := dbtest.Group(t, s, "acme", nil, nil)
	email := "new@example.com"
	inv := &model.Member{SourceType: model.SourceGroup, SourceID: acme.ID, AccessLevel: model.Developer, InviteEmail: &email}
	if err := s.CreateInvite(ctx, inv, "raw-secret"); err != nil {
		t.Fatal(err)
	}
	ok, err := s.MarkInviteEmailFailed(ctx, "raw-secret", "mailbox unavailable")
	if err != nil || !ok {
		t.Fatalf("mark failed: %v %v", ok, err)
	}
	got, err := s.InviteByToken(ctx, "raw-secret")
	if err != nil || got.InviteEmailSuccess || got.InviteFailure != "mailbox unavailable" {
		t.Fatalf("got %+v (%v), want a failed invite", got, err)
	}
	if ok, _ := s.MarkInviteEmailFailed(ctx, db.Digest("raw-secret"), "x"); ok {
		t.Fatal("the digest itself matched an invite")
	}
	u := dbtest.User(t, s, "newbie", false)
	if err := s.AcceptInvite(ctx, got.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if lvl, _ := s.GroupAccess(ctx, u.ID, acme.ID); lvl != model.Developer {
		t.Fatalf("got level %v after accepting, want Developer", lvl)
	}
}

func TestMailgunKeyIsEncryptedAtRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := dbtest.OpenAt(t, path, nil)
	st, err := s.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.PushEventHooksLimit != 3 || st.WebhookTimeout != 10 || !st.AutoDisablingWebHooks {
		t.Fatalf("defaults: got %+v", st)
	}
	secret := "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
	st.MailgunEventsEnabled, st.MailgunSigningKey = true, secret
	if err := s.UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Settings(ctx)
	if got.MailgunSigningKey != secret {
		t.Fatalf("got key %q back", got.MailgunSigningKey)
	}
	s.Close()
	for _, f := range []string{path, path + "-wal"} {
		raw, _ := os.ReadFile(f)
		if bytes.Contains(raw, []byte(secret)) {
			t.Fatalf("%s holds the key in clear", f)
		}
	}
}

func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := dbtest.OpenAt(t, path, nil)
	dbtest.User(t, s, "alice", false) // something in the WAL
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if mode := st.Mode().Perm(); mode&0o077 != 0 {
			t.Errorf("%s: mode %v, want no access for group or others", f, mode)
		}
	}
}
