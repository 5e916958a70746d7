package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/hooklab/hooklab/db"
)

// copyCommand moves the SQLite installation in --data into an empty
// PostgreSQL database (--database-url): every table, IDs and secrets kept.
// The data directory's lock keeps it from running beside `hooklab serve`,
// so nothing is written to the SQLite file meanwhile. Secrets stay sealed
// with the data directory's encryption key, which the instances on
// PostgreSQL must then be given (and the session key, to keep users
// signed in).
func copyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("hooklab copy-to-postgres", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if cfg.DatabaseURL == "" {
		return usageError{"usage: hooklab copy-to-postgres --data DIR --database-url postgres://… (stop hooklab serve first)"}
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("%w (stop it before copying)", err)
	}
	defer lock.unlock()
	sqliteCfg := cfg
	sqliteCfg.DatabaseURL = ""
	src, err := openStore(ctx, sqliteCfg)
	if err != nil {
		return err
	}
	defer src.Close()
	key, err := encryptionKey(sqliteCfg)
	if err != nil {
		return err
	}
	if !db.IsPostgresURL(cfg.DatabaseURL) {
		return usageError{"--database-url must be a PostgreSQL URL: postgres://user:password@host:5432/database?sslmode=..."}
	}
	dst, err := db.Open(ctx, cfg.DatabaseURL, db.Options{EncryptionKey: key})
	if err != nil {
		return err
	}
	defer dst.Close()
	tables, err := db.CopySQLiteToPostgres(ctx, src, dst)
	if err != nil {
		return err
	}
	for _, t := range tables {
		fmt.Fprintf(stdout, "%-28s %d rows\n", t.Table, t.Rows)
	}
	fmt.Fprintln(stdout, "copied; start the instances with --database-url and the encryption and session keys this installation used "+
		"(HOOKLAB_ENCRYPTION_KEY / --encryption-key-file, HOOKLAB_SESSION_KEY / --session-key-file; generated ones are in the data directory)")
	return nil
}
