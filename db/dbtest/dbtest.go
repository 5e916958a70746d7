// Package dbtest opens real SQLite stores in a test's temporary directory
// and creates the fixtures most tests need.
package dbtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// Key is the encryption key of test stores.
var Key = []byte("0123456789abcdef0123456789abcdef")

// Open opens a fresh store in t.TempDir() and closes it when the test ends.
func Open(t testing.TB) *db.Store {
	t.Helper()
	return OpenAt(t, filepath.Join(t.TempDir(), "hooklab.db"), nil)
}

// OpenAt opens a store at path with an optional clock.
func OpenAt(t testing.TB, path string, now func() time.Time) *db.Store {
	t.Helper()
	s, err := db.Open(context.Background(), path, db.Options{EncryptionKey: Key, Now: now})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Password is the password of every fixture user.
const Password = "correct horse battery"

var passwordHash string

// User creates an active user named username with Password.
func User(t testing.TB, s *db.Store, username string, admin bool) *model.User {
	t.Helper()
	if passwordHash == "" {
		h, err := bcrypt.GenerateFromPassword([]byte(Password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		passwordHash = string(h)
	}
	u := &model.User{Username: username, Name: username, Email: username + "@example.com", PasswordHash: passwordHash, Admin: admin}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	return u
}

// Group creates a group under parent (nil for top level) owned by owner (nil for none).
func Group(t testing.TB, s *db.Store, path string, parent *model.Group, owner *model.User) *model.Group {
	t.Helper()
	g := &model.Group{Name: path, Path: path}
	if parent != nil {
		g.ParentID = &parent.ID
	}
	var ownerID int64
	if owner != nil {
		ownerID = owner.ID
	}
	if err := s.CreateGroup(context.Background(), g, ownerID); err != nil {
		t.Fatalf("create group %s: %v", path, err)
	}
	return g
}

// Project creates a project in g.
func Project(t testing.TB, s *db.Store, path string, g *model.Group) *model.Project {
	t.Helper()
	p := &model.Project{Name: path, Path: path, GroupID: g.ID}
	if err := s.CreateProject(context.Background(), p, 0); err != nil {
		t.Fatalf("create project %s: %v", path, err)
	}
	return p
}

// Member gives u level in a group or project.
func Member(t testing.TB, s *db.Store, sourceType string, sourceID int64, u *model.User, level model.AccessLevel) {
	t.Helper()
	m := &model.Member{SourceType: sourceType, SourceID: sourceID, UserID: &u.ID, AccessLevel: level}
	if err := s.AddMember(context.Background(), m); err != nil {
		t.Fatalf("add member: %v", err)
	}
}
