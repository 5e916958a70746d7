package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
)

// dialect is what differs between the two backends in the store's own
// statements; the rest of each backend (opening, pools, pragmas, error
// codes, migrations) is in sqlite.go and postgres.go.
type dialect struct {
	name  string
	goose goose.Dialect
	// returning: an INSERT gives its new IDs back with RETURNING id. On
	// SQLite the rows of one INSERT have consecutive rowids ending at the
	// last insert rowid (firstInsertedID), which costs less; on PostgreSQL
	// a sequence shared with other sessions gives no such promise.
	returning bool
	// claimLock ends the statement that picks a hook's due deliveries.
	claimLock string
	// notify: a publish tells the other instances' engines about the
	// deliveries it leaves in the outbox (LISTEN/NOTIFY).
	notify bool
}

// notifyOutbox wakes the other instances' engines when the publishing
// transaction commits, if it leaves deliveries for any engine to claim.
func (d *dialect) notifyOutbox(ctx context.Context, tx *sqlx.Tx, created []NewDelivery) error {
	if !d.notify {
		return nil
	}
	for _, c := range created {
		if !c.Leased {
			// NOTIFY inside a transaction is sent when it commits, and
			// not at all when it rolls back.
			_, err := tx.ExecContext(ctx, `SELECT pg_notify('`+outboxChannel+`', '')`)
			return err
		}
	}
	return nil
}

// isUniqueViolation reports whether err is a unique-constraint failure on
// either backend.
func isUniqueViolation(err error) bool {
	return sqliteUniqueViolation(err) || pgUniqueViolation(err)
}

// insertIDs runs an INSERT of n rows (query has no RETURNING clause) and
// returns the new rows' IDs in the order of its VALUES. PostgreSQL returns
// the rows of INSERT ... VALUES ... RETURNING in the order of the VALUES.
func (d *dialect) insertIDs(ctx context.Context, tx *sqlx.Tx, query string, args []any, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if !d.returning {
		res, err := tx.ExecContext(ctx, tx.Rebind(query), args...)
		if err != nil {
			return nil, err
		}
		first, err := firstInsertedID(res, n)
		if err != nil {
			return nil, err
		}
		for i := range n {
			ids = append(ids, first+int64(i))
		}
		return ids, nil
	}
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(query+" RETURNING id"), args...); err != nil {
		return nil, err
	}
	if len(ids) != n {
		return nil, fmt.Errorf("insert: %d rows came back for %d", len(ids), n)
	}
	return ids, nil
}
