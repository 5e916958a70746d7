package db

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Everything PostgreSQL-specific lives in this file: the connection pool,
// error codes, how an INSERT gives its new IDs back, the claim's row
// locks, and the translation of the SQLite-flavoured migrations.

// IsPostgresURL reports whether location names a PostgreSQL database
// rather than a SQLite file.
func IsPostgresURL(location string) bool {
	return strings.HasPrefix(location, "postgres://") || strings.HasPrefix(location, "postgresql://")
}

// postgresPoolSize bounds the connections of one instance: several
// instances share the server's max_connections (100 by default).
const postgresPoolSize = 16

var postgresDialect = &dialect{
	name:      "postgres",
	goose:     goose.DialectPostgres,
	returning: true,
	// Several instances claim at once: each takes the due rows nobody
	// else is claiming and skips the ones another claim has locked,
	// instead of waiting for it and finding them leased.
	claimLock: " FOR UPDATE SKIP LOCKED",
	notify:    true,
}

// openPostgres opens one pool for readers and writers alike: PostgreSQL
// has no single-writer lock to queue for.
func openPostgres(ctx context.Context, url string) (*sqlx.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message repeats the URL, password included.
		return nil, errors.New("parse the database URL: it is not a valid postgres:// URL")
	}
	sqlDB := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		// Timestamps come back in UTC, as the store's clock gives them
		// and as SQLite returns them.
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}))
	sqlDB.SetMaxOpenConns(postgresPoolSize)
	sqlDB.SetMaxIdleConns(postgresPoolSize)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	d := sqlx.NewDb(sqlDB, "pgx")
	if err := d.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", redactURL(url), err)
	}
	return d, nil
}

// outboxChannel is the LISTEN/NOTIFY channel of new deliveries.
const outboxChannel = "hooklab_outbox"

// ListenOutbox calls wake each time any instance commits deliveries for
// the engines to claim, until ctx ends: a publish through one instance
// starts delivery on whichever claims it first, without waiting for a
// poll. On SQLite it returns at once: the only engine is woken in process.
// A lost connection is made again (with a wake, for what it missed).
func (s *Store) ListenOutbox(ctx context.Context, wake func()) error {
	if s.d != postgresDialect {
		return nil
	}
	for {
		err := s.listen(ctx, wake)
		if ctx.Err() != nil {
			return nil
		}
		slog.Warn("listening for new deliveries failed; polling until it is back", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listen(ctx context.Context, wake func()) error {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+outboxChannel); err != nil {
		return err
	}
	wake() // whatever was published while not listening
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		wake()
	}
}

// redactURL drops the password from a database URL for messages.
func redactURL(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "(invalid URL)"
	}
	return fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
}

// pgUniqueViolation reports whether err is PostgreSQL's unique_violation.
func pgUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// migrationLockID is the advisory lock taken while migrating, so that
// instances starting together on one database migrate it once: the first
// applies the migrations, the others wait and find nothing left to do.
const migrationLockID = 0x686f6f6b6c6162 // "hooklab"

func postgresGooseOptions() ([]goose.ProviderOption, error) {
	// Try every second for up to five minutes (goose's default probes every
	// five seconds, which a second instance starting alongside would wait
	// for).
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, err
	}
	return []goose.ProviderOption{goose.WithSessionLocker(locker)}, nil
}

// syncSequences moves every serial column's sequence past the largest ID
// in its table, so that rows inserted with explicit IDs (a migration that
// copies a table, an import from SQLite) are never handed out again.
func syncSequences(ctx context.Context, d *sqlx.DB) error {
	var cols []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
		Seq    string `db:"seq"`
	}
	err := d.SelectContext(ctx, &cols, `SELECT c.table_name, c.column_name, pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) AS seq
		FROM information_schema.columns c
		WHERE c.table_schema = current_schema() AND pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) IS NOT NULL
		AND c.table_name <> 'goose_db_version'`)
	if err != nil {
		return fmt.Errorf("list sequences: %w", err)
	}
	for _, c := range cols {
		q := fmt.Sprintf(`SELECT setval('%s', GREATEST((SELECT MAX(%s) FROM %s), 0) + 1, false)
			WHERE (SELECT MAX(%s) FROM %s) >= (SELECT last_value FROM %s)`,
			c.Seq, pgx.Identifier{c.Column}.Sanitize(), pgx.Identifier{c.Table}.Sanitize(),
			pgx.Identifier{c.Column}.Sanitize(), pgx.Identifier{c.Table}.Sanitize(), c.Seq)
		if _, err := d.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sync sequence %s: %w", c.Seq, err)
		}
	}
	return nil
}

// postgresMigrations presents the SQLite-flavoured migrations as
// PostgreSQL ones (the rules are in migrations/README.md).
type postgresMigrations struct{ fs.FS }

func (m postgresMigrations) Open(name string) (fs.File, error) {
	f, err := m.FS.Open(name)
	if err != nil || !strings.HasSuffix(name, ".sql") {
		return f, err
	}
	defer f.Close()
	src, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	out, err := translateMigration(string(src))
	if err != nil {
		return nil, fmt.Errorf("migration %s: %w", name, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader([]byte(out)), info: st}, nil
}

// ReadFile and ReadDir are goose's other ways in; without them it would
// read the untranslated files through fs.ReadFile's fallbacks anyway, but
// spelling them out keeps the translation on every path.
func (m postgresMigrations) ReadFile(name string) ([]byte, error) {
	f, err := m.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func (m postgresMigrations) ReadDir(name string) ([]fs.DirEntry, error) {
	return fs.ReadDir(m.FS, name)
}

func (m postgresMigrations) Glob(pattern string) ([]string, error) {
	return fs.Glob(m.FS, pattern)
}

type memFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return sizedInfo{f.info, f.Reader.Size()}, nil }
func (f *memFile) Close() error               { return nil }

type sizedInfo struct {
	fs.FileInfo
	size int64
}

func (i sizedInfo) Size() int64 { return i.size }

var (
	// INTEGER PRIMARY KEY is SQLite's rowid alias: a serial key. One that
	// is also a foreign key (a row per row of another table) is not.
	reRowidFK    = regexp.MustCompile(`(?i)\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?(\s+REFERENCES\b)`)
	reRowid      = regexp.MustCompile(`(?i)\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b`)
	reInteger    = regexp.MustCompile(`(?i)\bINTEGER\b`)
	reBlob       = regexp.MustCompile(`(?i)\bBLOB\b`)
	reReal       = regexp.MustCompile(`(?i)\bREAL\b`)
	reTimestamp  = regexp.MustCompile(`(?i)\b(TIMESTAMP|DATETIME)\b`)
	reBlobLit    = regexp.MustCompile(`(?i)\bX'([0-9a-f]*)'`)
	reBoolFalse  = regexp.MustCompile(`(?i)(\bBOOLEAN\b.*\bDEFAULT\s+)0\b`)
	reBoolTrue   = regexp.MustCompile(`(?i)(\bBOOLEAN\b.*\bDEFAULT\s+)1\b`)
	reNow        = regexp.MustCompile(`(?i)\(?\s*datetime\(\s*'now'\s*\)\s*\)?`)
	rePragma     = regexp.MustCompile(`(?i)^\s*PRAGMA\b`)
	reSQLiteOnly = regexp.MustCompile(`(?i)^\s*--\s*\+hooklab\s+sqlite-only\s*$`)
	reEnd        = regexp.MustCompile(`(?i)^\s*--\s*\+hooklab\s+end\s*$`)
	rePostgres   = regexp.MustCompile(`(?i)^\s*--\s*\+hooklab\s+postgres:\s?(.*)$`)
)

// translateMigration rewrites one migration file for PostgreSQL, line by
// line: the marked SQLite-only blocks are dropped, the postgres: lines
// put in, and SQLite's type names mapped to PostgreSQL's. A PRAGMA outside
// a SQLite-only block is an error: such a migration (a table rebuild) has
// to say what PostgreSQL does instead.
func translateMigration(src string) (string, error) {
	var out strings.Builder
	skipping := false
	for i, line := range strings.Split(src, "\n") {
		switch {
		case reSQLiteOnly.MatchString(line):
			if skipping {
				return "", fmt.Errorf("line %d: a sqlite-only block inside another", i+1)
			}
			skipping = true
			continue
		case reEnd.MatchString(line):
			if !skipping {
				return "", fmt.Errorf("line %d: -- +hooklab end without a sqlite-only block", i+1)
			}
			skipping = false
			continue
		case skipping:
			continue
		}
		if m := rePostgres.FindStringSubmatch(line); m != nil {
			out.WriteString(m[1])
			out.WriteByte('\n')
			continue
		}
		code, comment := splitComment(line)
		if rePragma.MatchString(code) {
			return "", fmt.Errorf("line %d: PRAGMA is SQLite's; put the SQLite-only part between -- +hooklab sqlite-only and -- +hooklab end and give PostgreSQL's with -- +hooklab postgres: lines", i+1)
		}
		code = reBlobLit.ReplaceAllString(code, `'\x$1'::bytea`)
		code = reBoolFalse.ReplaceAllString(code, "${1}FALSE")
		code = reBoolTrue.ReplaceAllString(code, "${1}TRUE")
		code = reNow.ReplaceAllString(code, "now()")
		// Type names outside string literals (the even parts between quotes).
		parts := strings.Split(code, "'")
		for j := 0; j < len(parts); j += 2 {
			p := reRowidFK.ReplaceAllString(parts[j], "BIGINT PRIMARY KEY$2")
			p = reRowid.ReplaceAllString(p, "BIGSERIAL PRIMARY KEY")
			p = reInteger.ReplaceAllString(p, "BIGINT")
			p = reBlob.ReplaceAllString(p, "BYTEA")
			p = reReal.ReplaceAllString(p, "DOUBLE PRECISION")
			parts[j] = reTimestamp.ReplaceAllString(p, "TIMESTAMPTZ")
		}
		out.WriteString(strings.Join(parts, "'") + comment)
		out.WriteByte('\n')
	}
	if skipping {
		return "", errors.New("a -- +hooklab sqlite-only block has no -- +hooklab end")
	}
	return strings.TrimSuffix(out.String(), "\n"), nil
}

// splitComment cuts a line at its "--" comment (outside quotes), so that
// words in comments are left alone and goose still sees its annotations.
func splitComment(line string) (code, comment string) {
	inQuote := false
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\'':
			inQuote = !inQuote
		case !inQuote && line[i] == '-' && i+1 < len(line) && line[i+1] == '-':
			return line[:i], line[i:]
		}
	}
	return line, ""
}
