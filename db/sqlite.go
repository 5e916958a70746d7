package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"
)

// Everything SQLite-specific lives in this file; PostgreSQL's is in
// postgres.go.

// dsn builds the connection string: WAL so readers never block the writer,
// foreign keys on, a busy timeout, the synchronous setting (FULL unless
// NORMAL is asked for: in WAL mode FULL syncs the log at every commit, so
// an accepted event survives a power loss; the group commit shares that
// sync among the requests it commits), BEGIN IMMEDIATE so a write
// transaction takes the lock at its start instead of failing on upgrade,
// and a cache of prepared statements per connection (the hot queries are a
// handful of fixed strings, and preparing costs more than running them).
func dsn(path string, readOnly bool, synchronous string) string {
	if synchronous != "NORMAL" {
		synchronous = "FULL"
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "5000")
	q.Set("_synchronous", synchronous)
	q.Set("_txlock", "immediate")
	q.Set("_stmt_cache_size", "256")
	if readOnly {
		q.Set("mode", "ro")
	}
	return "file:" + path + "?" + q.Encode()
}

// openSQLite opens the writer (one connection: SQLite has one writer at a
// time, and queueing in Go is cheaper than spinning on the busy lock) and a
// pool of readers.
func openSQLite(ctx context.Context, path, synchronous string) (w, r *sqlx.DB, err error) {
	// The database holds secrets (sealed, but still): create it readable by
	// the owner only. SQLite gives the -wal and -shm files the same mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, nil, fmt.Errorf("create %s: %w", path, err)
	}
	w, err = sqlx.ConnectContext(ctx, "sqlite3", dsn(path, false, synchronous))
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err = sqlx.ConnectContext(ctx, "sqlite3", dsn(path, true, synchronous))
	if err != nil {
		w.Close()
		return nil, nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return w, r, nil
}

// sqliteUniqueViolation reports whether err is a unique-constraint failure.
func sqliteUniqueViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrConstraint &&
		(se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

var sqliteDialect = &dialect{name: "sqlite", goose: goose.DialectSQLite3}

// firstInsertedID returns the ID of the first of n rows one INSERT
// statement just added. SQLite gives each new row of an AUTOINCREMENT table
// (migration 00090: IDs are never reused) one above the largest rowid it
// ever handed out, so the rows of one INSERT inside the write transaction
// (no other writer can interleave) are consecutive, ending at the last
// insert rowid. A PostgreSQL backend uses RETURNING instead.
func firstInsertedID(res sql.Result, n int) (int64, error) {
	last, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	return last - int64(n) + 1, nil
}

// parseStoreTime reads a timestamp that lost its column type on the way
// out (an aggregate such as MIN of a TIMESTAMP column comes back as text).
func parseStoreTime(s string) time.Time {
	for _, layout := range append([]string{time.RFC3339Nano}, sqlite3.SQLiteTimestampFormats...) {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
