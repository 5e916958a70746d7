package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"github.com/hooklab/hooklab/model"
)

// goMigrations are the migrations SQL cannot express portably; goose runs
// them in version order with the files in db/migrations.
func goMigrations(bind int) []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(91, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return scrubLogURLs(ctx, tx, bind)
		}}, nil),
	}
}

// scrubLogURLs (migration 00091) masks the userinfo of log rows written
// before the mask caught every userinfo: a password with a "-" (and other
// RFC 3986 characters) was stored in hook_logs.url in plaintext. Only rows
// with an "@" can hold one; each is rewritten if masking changes it.
func scrubLogURLs(ctx context.Context, tx *sql.Tx, bind int) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, url FROM hook_logs WHERE url LIKE '%@%'`)
	if err != nil {
		return fmt.Errorf("scrub log URLs: %w", err)
	}
	type fix struct {
		id  int64
		url string
	}
	var fixes []fix
	for rows.Next() {
		var f fix
		if err := rows.Scan(&f.id, &f.url); err != nil {
			rows.Close()
			return err
		}
		if masked := model.MaskURLUserinfo(f.url); masked != f.url {
			fixes = append(fixes, fix{f.id, masked})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, f := range fixes {
		if _, err := tx.ExecContext(ctx, sqlx.Rebind(bind, `UPDATE hook_logs SET url = ? WHERE id = ?`), f.url, f.id); err != nil {
			return fmt.Errorf("scrub log URLs: %w", err)
		}
	}
	return nil
}
