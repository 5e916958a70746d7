// Package dbtest opens real stores, SQLite in a test's temporary directory
// or PostgreSQL on a throwaway server, and creates the fixtures most tests
// need.
package dbtest

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
)

// Key is the encryption key of test stores.
var Key = []byte("0123456789abcdef0123456789abcdef")

// Backend is a kind of database the store runs on.
type Backend string

// The backends, and the table the store's and engine's tests run over.
const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Backends are the backends EachBackend runs a test on.
var Backends = []Backend{SQLite, Postgres}

var running sync.Map // test name → Backend

// EachBackend runs fn once per backend, as subtests named after them.
// Inside fn (and its subtests) Open and NewDB give stores of that backend.
func EachBackend(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, b := range Backends {
		t.Run(string(b), func(t *testing.T) {
			running.Store(t.Name(), b)
			fn(t)
		})
	}
}

// EachBackendB is EachBackend for benchmarks.
func EachBackendB(b *testing.B, fn func(b *testing.B)) {
	b.Helper()
	for _, be := range Backends {
		b.Run(string(be), func(b *testing.B) {
			running.Store(b.Name(), be)
			fn(b)
		})
	}
}

// BackendOf returns the backend t runs on: the one EachBackend gave it or
// an enclosing test, else SQLite.
func BackendOf(t testing.TB) Backend {
	name := t.Name()
	for {
		if b, ok := running.Load(name); ok {
			return b.(Backend)
		}
		i := strings.LastIndexByte(name, '/')
		if i < 0 {
			return SQLite
		}
		name = name[:i]
	}
}

// NewDB returns where a new store of t's backend lives: a file in
// t.TempDir(), or a fresh database on the throwaway PostgreSQL server.
// OpenAt opens it (again, to test a restart).
func NewDB(t testing.TB) string {
	t.Helper()
	if BackendOf(t) == Postgres {
		return postgresURL(t)
	}
	return filepath.Join(t.TempDir(), "hooklab.db")
}

// Open opens a fresh store of t's backend and closes it when the test ends.
func Open(t testing.TB) *db.Store {
	t.Helper()
	return OpenAt(t, NewDB(t), nil)
}

// OpenAt opens a store at path (a SQLite file or a PostgreSQL URL) with an
// optional clock.
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

// Raw opens the database at location (a SQLite file or a PostgreSQL URL)
// beside the store, for a test to damage or inspect rows the store would
// not; queries take ? placeholders through Rebind.
func Raw(t testing.TB, location string) *sqlx.DB {
	t.Helper()
	driver, dsn := "sqlite3", "file:"+location+"?_busy_timeout=5000"
	if db.IsPostgresURL(location) {
		driver, dsn = "pgx", location
	}
	raw, err := sqlx.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}
