package db_test

import (
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pressly/goose/v3"

	"github.com/hooklab/hooklab/db/dbtest"
	"github.com/hooklab/hooklab/model"
)

// Migrations 00090 and 00091 on a database of the version before them.
// 00090 rebuilds hooks, events, deliveries and hook_logs with
// AUTOINCREMENT. Dropping a parent table with foreign keys on would
// cascade to its children: every row must survive, the references too.
func TestMigrationKeepsRowsWhileMakingIDsNeverReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	raw, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	older := fstest.MapFS{}
	all, _ := fs.Glob(os.DirFS("migrations"), "*.sql")
	for _, name := range all {
		if name < "00090" {
			b, err := os.ReadFile(filepath.Join("migrations", name))
			if err != nil {
				t.Fatal(err)
			}
			older[name] = &fstest.MapFile{Data: b}
		}
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, raw, older)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO hooks (id, kind, url, created_at, updated_at) VALUES (1, 'SystemHook', X'00', '2026-01-01', '2026-01-01'),
			(2, 'SystemHook', X'00', '2026-01-01', '2026-01-01')`,
		`INSERT INTO events (id, uuid, kind, trigger_scope, payload, created_at) VALUES (7, 'u', 'push', 'push_hooks', X'00', '2026-01-01')`,
		`INSERT INTO deliveries (event_id, hook_id, idempotency_key, available_at, created_at) VALUES (7, 1, 'k', '2026-01-01', '2026-01-01')`,
		`INSERT INTO hook_logs (hook_id, event_id, trigger_scope, url, url_hash, request_headers, response_status, response_headers,
			response_body, execution_duration, idempotency_key, created_at) VALUES (1, 7, 'push_hooks', 'http://user:pa-ss@example.com/', 'h', '{}', '200', '{}', X'', 0, 'k', '2026-01-01')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	s := dbtest.OpenAt(t, path, nil) // runs 00090
	raw, err = sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	count := func(q string) int {
		t.Helper()
		var n int
		if err := raw.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for table, want := range map[string]int{"hooks": 2, "events": 1, "deliveries": 1, "hook_logs": 1} {
		if n := count(`SELECT count(*) FROM ` + table); n != want {
			t.Errorf("%s: %d rows after the migration, want %d", table, n, want)
		}
		var ddl string
		if err := raw.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&ddl); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ddl, "AUTOINCREMENT") {
			t.Errorf("%s is not AUTOINCREMENT: %s", table, ddl)
		}
	}
	// Migration 00091 masks a userinfo the old mask let through.
	var logged string
	if err := raw.QueryRow(`SELECT url FROM hook_logs`).Scan(&logged); err != nil || logged != "http://*****:*****@example.com/" {
		t.Errorf("log row URL %q (%v), want its userinfo masked", logged, err)
	}
	if n := count(`SELECT count(*) FROM pragma_foreign_key_check`); n != 0 {
		t.Errorf("%d foreign key violations", n)
	}

	// Deleting the newest hook no longer hands its ID to the next one, and
	// deleting a hook still takes its outbox and log rows with it.
	if err := s.DeleteHook(ctx, 2); err != nil {
		t.Fatal(err)
	}
	h := model.NewHook(model.SystemHookKind)
	h.URL = "https://hooks.example.com/"
	if err := s.CreateHook(ctx, &h); err != nil {
		t.Fatal(err)
	}
	if h.ID <= 2 {
		t.Errorf("new hook got ID %d, want above the deleted 2", h.ID)
	}
	if err := s.DeleteHook(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM deliveries`) + count(`SELECT count(*) FROM hook_logs`); n != 0 {
		t.Errorf("%d outbox and log rows left of the deleted hook", n)
	}
}
