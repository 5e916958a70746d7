package db

import (
	"io/fs"
	"strings"
	"testing"
)

func TestTranslateMigrationForPostgres(t *testing.T) {
	for _, c := range []struct{ name, in, want, err string }{
		{name: "types", in: `CREATE TABLE t (
    id INTEGER PRIMARY KEY AUTOINCREMENT, -- an INTEGER in a comment stays
    owner_id INTEGER PRIMARY KEY REFERENCES users (id),
    n INTEGER NOT NULL, big BIGINT, body BLOB DEFAULT X'00ff', took REAL,
    at TIMESTAMP NOT NULL, tz TIMESTAMPTZ, on_ BOOLEAN NOT NULL DEFAULT 0, yes BOOLEAN DEFAULT 1,
    note TEXT DEFAULT 'INTEGER'
);`, want: `CREATE TABLE t (
    id BIGSERIAL PRIMARY KEY, -- an INTEGER in a comment stays
    owner_id BIGINT PRIMARY KEY REFERENCES users (id),
    n BIGINT NOT NULL, big BIGINT, body BYTEA DEFAULT '\x00ff'::bytea, took DOUBLE PRECISION,
    at TIMESTAMPTZ NOT NULL, tz TIMESTAMPTZ, on_ BOOLEAN NOT NULL DEFAULT FALSE, yes BOOLEAN DEFAULT TRUE,
    note TEXT DEFAULT 'INTEGER'
);`},
		{name: "markers", in: `-- +goose Up
-- +goose NO TRANSACTION
-- +hooklab sqlite-only
PRAGMA foreign_keys=OFF;
CREATE TABLE hooks_new (id INTEGER PRIMARY KEY AUTOINCREMENT);
PRAGMA foreign_keys=ON;
-- +hooklab end
-- +hooklab postgres: ALTER TABLE hooks ADD COLUMN x BIGINT;
SELECT 1;`, want: `-- +goose Up
-- +goose NO TRANSACTION
ALTER TABLE hooks ADD COLUMN x BIGINT;
SELECT 1;`},
		{name: "unmarked pragma", in: "PRAGMA foreign_keys=OFF;", err: "PRAGMA is SQLite's"},
		{name: "unclosed block", in: "-- +hooklab sqlite-only\nSELECT 1;", err: "has no -- +hooklab end"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := translateMigration(c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %q, %v; want error %q", got, err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got (%v)\n%s\nwant\n%s", err, got, c.want)
			}
		})
	}
}

// Every migration of the tree translates (the store tests apply them to a
// real server too).
func TestEveryMigrationTranslates(t *testing.T) {
	files := postgresMigrations{mustSub(migrations, "migrations")}
	names, err := fs.Glob(files, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations: %v %v", names, err)
	}
	for _, n := range names {
		if _, err := fs.ReadFile(files, n); err != nil {
			t.Error(err)
		}
	}
}
