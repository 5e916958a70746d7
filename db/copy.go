package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
)

// CopyTable is how many rows of a table CopySQLiteToPostgres copied.
type CopyTable struct {
	Table string
	Rows  int
}

// copyBatch rows go in one INSERT (PostgreSQL takes up to 65,535
// parameters a statement).
const copyBatch = 200

// CopySQLiteToPostgres moves an installation from SQLite to PostgreSQL:
// every row of every table of src (users, groups, hooks and their secrets,
// events, the outbox, hook logs, settings, sessions…) goes into dst, with
// its ID, in one transaction; then dst's sequences continue after the
// largest IDs. Both stores must be at the same schema version (both were
// opened, so both are migrated), and dst must be empty but for the
// settings row every store starts with. Secret columns are copied as they
// are: the PostgreSQL instances must be given src's encryption key. The
// running-instance registry is not copied (leases of src's engine are
// released, so dst's instances send those deliveries at once).
func CopySQLiteToPostgres(ctx context.Context, src, dst *Store) ([]CopyTable, error) {
	if src.d != sqliteDialect || dst.d != postgresDialect {
		return nil, errors.New("copy: the source must be a SQLite store and the destination a PostgreSQL one")
	}
	var users int
	if err := dst.r.GetContext(ctx, &users, `SELECT COUNT(*) FROM users`); err != nil {
		return nil, err
	}
	if users > 0 {
		return nil, errors.New("copy: the PostgreSQL database already has users; copy into a new, empty database")
	}
	tables, err := sqliteTablesInOrder(ctx, src.r)
	if err != nil {
		return nil, err
	}
	var out []CopyTable
	err = dst.tx(ctx, func(tx *sqlx.Tx) error {
		for i := len(tables) - 1; i >= 0; i-- { // children first
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+quoteIdent(tables[i])); err != nil {
				return fmt.Errorf("empty %s: %w", tables[i], err)
			}
		}
		for _, t := range tables {
			n, err := copyTable(ctx, src.r, tx, t)
			if err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
			out = append(out, CopyTable{t, n})
		}
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_owner = NULL, available_at = $1 WHERE lease_owner IS NOT NULL`, dst.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	dst.settingsMu.Lock()
	dst.settingsCache = nil
	dst.settingsMu.Unlock()
	return out, syncSequences(ctx, dst.w)
}

// sqliteTablesInOrder lists the application's tables, each after the
// tables its foreign keys refer to.
func sqliteTablesInOrder(ctx context.Context, r *sqlx.DB) ([]string, error) {
	var names []string
	if err := r.SelectContext(ctx, &names, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name NOT IN ('goose_db_version', 'instances') ORDER BY name`); err != nil {
		return nil, err
	}
	deps := map[string][]string{}
	for _, n := range names {
		var refs []string
		if err := r.SelectContext(ctx, &refs, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, n); err != nil {
			return nil, err
		}
		deps[n] = refs
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return nil // a table referring to itself (groups.parent_id)
		case 2:
			return nil
		}
		state[n] = 1
		for _, d := range deps[n] {
			if d != n && slices.Contains(names, d) {
				if err := visit(d); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// copyTable copies one table's rows in the order of their rowid (so a
// group comes before its subgroups), many per INSERT.
func copyTable(ctx context.Context, r *sqlx.DB, tx *sqlx.Tx, table string) (int, error) {
	rows, err := r.QueryxContext(ctx, `SELECT * FROM `+quoteIdent(table)+` ORDER BY rowid`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quoteIdent(c)
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	insert := `INSERT INTO ` + quoteIdent(table) + ` (` + strings.Join(quoted, ", ") + `) VALUES `
	var args []any
	n, pending := 0, 0
	flush := func() error {
		if pending == 0 {
			return nil
		}
		q := insert + strings.TrimSuffix(strings.Repeat(one+", ", pending), ", ")
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return err
		}
		args, pending = args[:0], 0
		return nil
	}
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return 0, err
		}
		args = append(args, vals...)
		n++
		if pending++; pending == copyBatch {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return n, flush()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
