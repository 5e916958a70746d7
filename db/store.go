// Package db is Hooklab's store: sqlx over SQLite or PostgreSQL, with
// embedded numbered migrations, one file per aggregate, and encryption of
// secret columns.
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
	w      *sqlx.DB // the single writer (SQLite); the pool (PostgreSQL)
	r      *sqlx.DB // readers; the same pool as w on PostgreSQL
	d      *dialect
	url    string // PostgreSQL's, for LISTEN's own connection
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

// Open opens the database at location and brings its schema up to date:
// a PostgreSQL URL (postgres://…), or else the path of a SQLite file,
// created if needed.
func Open(ctx context.Context, location string, opt Options) (*Store, error) {
	c, err := NewCipher(opt.EncryptionKey)
	if err != nil {
		return nil, err
	}
	s := &Store{cipher: c, now: opt.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if IsPostgresURL(location) {
		if s.w, err = openPostgres(ctx, location); err != nil {
			return nil, err
		}
		s.r, s.d, s.url = s.w, postgresDialect, location
	} else {
		if s.w, s.r, err = openSQLite(ctx, location, opt.Synchronous); err != nil {
			return nil, err
		}
		s.d = sqliteDialect
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
	files := mustSub(migrations, "migrations")
	var opts []goose.ProviderOption
	if s.d == postgresDialect {
		files = postgresMigrations{files}
		var err error
		if opts, err = postgresGooseOptions(); err != nil {
			return err
		}
	}
	p, err := goose.NewProvider(s.d.goose, s.w.DB, files, append(opts, goose.WithGoMigrations(goMigrations(sqlx.BindType(s.w.DriverName()))...))...)
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
	if s.d == postgresDialect && len(res) > 0 {
		return syncSequences(ctx, s.w)
	}
	return nil
}

// Backend names the database behind the store: "sqlite" or "postgres".
func (s *Store) Backend() string { return s.d.name }

// Close closes the database.
func (s *Store) Close() error {
	if s.r == s.w {
		return s.w.Close()
	}
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
