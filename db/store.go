// Package db is Hooklab's store: sqlx over SQLite, with embedded numbered
// migrations, one file per aggregate, and encryption of secret columns.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"github.com/hooklab/hooklab/model"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the one way to the database. It is safe for concurrent use.
type Store struct {
	w      *sqlx.DB // the single writer
	r      *sqlx.DB // readers
	cipher *Cipher
	now    func() time.Time

	settingsMu    sync.Mutex
	settingsCache *model.Settings
	settingsAt    time.Time

	auth    authCache
	filters filterCache
}

// Options configure Open.
type Options struct {
	// EncryptionKey is the 32-byte AES-256 key for secret columns.
	EncryptionKey []byte
	// Now replaces the clock (tests); nil means time.Now.
	Now func() time.Time
	// Synchronous is SQLite's synchronous setting, FULL (the default: a
	// committed transaction survives a power loss) or NORMAL (it survives
	// a crash of the process; the last commits may be lost with the
	// machine).
	Synchronous string
}

// Open opens (creating if needed) the database file at path and brings its
// schema up to date.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	c, err := NewCipher(opt.EncryptionKey)
	if err != nil {
		return nil, err
	}
	w, r, err := openSQLite(ctx, path, opt.Synchronous)
	if err != nil {
		return nil, err
	}
	s := &Store{w: w, r: r, cipher: c, now: opt.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.ensureSettings(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	p, err := goose.NewProvider(gooseDialect, s.w.DB, mustSub(migrations, "migrations"),
		goose.WithGoMigrations(goMigrations()...))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range res {
		slog.Debug("migration applied", "version", r.Source.Version, "path", r.Source.Path)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.r.GetContext(ctx, &one, "SELECT 1")
}

// Now is the store's clock, in UTC.
func (s *Store) Now() time.Time { return s.now().UTC() }

// Cipher returns the secret-column cipher.
func (s *Store) Cipher() *Cipher { return s.cipher }

// tx runs fn in one short write transaction.
func (s *Store) tx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// get reads one row into dst; a missing row is reported as notFound.
func (s *Store) get(ctx context.Context, dst any, notFound error, query string, args ...any) error {
	err := s.r.GetContext(ctx, dst, s.r.Rebind(query), args...)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return err
}

// sel reads rows into dst.
func (s *Store) sel(ctx context.Context, dst any, query string, args ...any) error {
	return s.r.SelectContext(ctx, dst, s.r.Rebind(query), args...)
}

// Page selects one page of a list.
type Page struct {
	Page    int
	PerPage int
}

// Offset is the number of rows before the page.
func (p Page) Offset() int { return model.PageOffset(p.Page, p.PerPage) }

// Normalize fills defaults and bounds.
func (p Page) Normalize(def, maxPer int) Page {
	if p.Page < 1 {
		p.Page = 1
	}
	if p.PerPage < 1 {
		p.PerPage = def
	}
	if p.PerPage > maxPer {
		p.PerPage = maxPer
	}
	return p
}
