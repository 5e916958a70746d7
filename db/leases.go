package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Instance is a running delivery engine: leases name it as their owner,
// and its heartbeat keeps them.
type Instance struct {
	ID          string    `db:"id"`
	Hostname    string    `db:"hostname"`
	PID         int       `db:"pid"`
	StartedAt   time.Time `db:"started_at"`
	HeartbeatAt time.Time `db:"heartbeat_at"`
}

// RegisterInstance records a starting engine.
func (s *Store) RegisterInstance(ctx context.Context, in Instance) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO instances (id, hostname, pid, started_at, heartbeat_at)
			VALUES (?, ?, ?, ?, ?)`), in.ID, in.Hostname, in.PID, in.StartedAt.UTC(), in.HeartbeatAt.UTC())
		if err != nil {
			return fmt.Errorf("register instance: %w", err)
		}
		return nil
	})
}

// Heartbeat says the instance is alive at now and renews every lease it
// owns until leaseUntil, in one transaction. It returns how many leases it
// renewed. An instance whose record is gone (another instance took it for
// dead after a long pause, and released its leases) is recorded again.
func (s *Store) Heartbeat(ctx context.Context, in Instance, leaseUntil time.Time) (int64, error) {
	var n int64
	instanceID, now := in.ID, in.HeartbeatAt
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE instances SET heartbeat_at = ? WHERE id = ?`), now.UTC(), instanceID)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO instances (id, hostname, pid, started_at, heartbeat_at)
				VALUES (?, ?, ?, ?, ?)`), in.ID, in.Hostname, in.PID, in.StartedAt.UTC(), now.UTC()); err != nil {
				return err
			}
		}
		res, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE deliveries SET available_at = ? WHERE lease_owner = ?`), leaseUntil.UTC(), instanceID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("heartbeat: %w", err)
	}
	return n, nil
}

// Instances lists the registered instances, oldest first.
func (s *Store) Instances(ctx context.Context) ([]Instance, error) {
	var out []Instance
	if err := s.sel(ctx, &out, `SELECT id, hostname, pid, started_at, heartbeat_at FROM instances ORDER BY started_at, id`); err != nil {
		return nil, fmt.Errorf("instances: %w", err)
	}
	return out, nil
}

// UnregisterInstance removes a stopping engine's record. Its leases must
// have been handed back or recorded first.
func (s *Store) UnregisterInstance(ctx context.Context, instanceID string) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM instances WHERE id = ?`), instanceID)
		return err
	})
}

// ReleaseOrphanedLeases makes due at once the deliveries leased to any
// instance other than self whose heartbeat is older than staleBefore (or
// that has no record), and forgets those instances. With staleBefore in
// the future every other instance counts as gone: a process that holds
// the data directory's lock knows no other engine can be running.
func (s *Store) ReleaseOrphanedLeases(ctx context.Context, self string, now, staleBefore time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE deliveries SET available_at = ?, lease_owner = NULL
			WHERE lease_owner IS NOT NULL AND lease_owner <> ?
			  AND lease_owner NOT IN (SELECT id FROM instances WHERE heartbeat_at >= ?)`), now.UTC(), self, staleBefore.UTC())
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM instances WHERE id <> ? AND heartbeat_at < ?`), self, staleBefore.UTC())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("release orphaned leases: %w", err)
	}
	return n, nil
}

// OutboxStats describes the outbox for monitoring.
type OutboxStats struct {
	Pending int64 // not leased (due now or later)
	Leased  int64
	// OldestPending is when the longest-waiting unleased delivery became
	// due; zero when none is.
	OldestPending time.Time
}

// OutboxStats counts the outbox's deliveries.
func (s *Store) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var row struct {
		Pending int64   `db:"pending"`
		Leased  int64   `db:"leased"`
		Oldest  *string `db:"oldest"`
	}
	err := s.get(ctx, &row, nil, `SELECT
			COALESCE(SUM(CASE WHEN lease_owner IS NULL THEN 1 ELSE 0 END), 0) AS pending,
			COALESCE(SUM(CASE WHEN lease_owner IS NULL THEN 0 ELSE 1 END), 0) AS leased,
			(SELECT MIN(available_at) FROM deliveries WHERE lease_owner IS NULL) AS oldest
		FROM deliveries`)
	if err != nil {
		return OutboxStats{}, fmt.Errorf("outbox stats: %w", err)
	}
	out := OutboxStats{Pending: row.Pending, Leased: row.Leased}
	if row.Oldest != nil {
		out.OldestPending = parseStoreTime(*row.Oldest)
	}
	return out, nil
}
