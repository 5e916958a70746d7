package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

// RecordFailedSignIn counts a failed sign-in for the user and locks the
// account at the model.MaxFailedSignIns-th in a row. It reports whether
// this attempt locked it (the caller then tells the user). A lock that has
// run out starts the count again, as Devise's lockable does. Counting and
// locking happen in one transaction, so concurrent guesses cannot slip past
// the limit.
func (s *Store) RecordFailedSignIn(ctx context.Context, userID int64) (locked bool, err error) {
	defer s.forgetAuth()
	now := s.Now()
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		var u model.User
		err := tx.GetContext(ctx, &u, tx.Rebind(`SELECT `+userColumns+` FROM users WHERE id = ?`), userID)
		if errors.Is(err, sql.ErrNoRows) {
			return errUserNotFound
		}
		if err != nil {
			return err
		}
		if u.Locked(now) {
			return nil
		}
		attempts := u.FailedAttempts + 1
		if u.LockedAt != nil {
			attempts = 1 // the last lock ran out
		}
		var at any
		if attempts >= model.MaxFailedSignIns {
			at, locked = now, true
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET failed_attempts = ?, locked_at = ? WHERE id = ?`), attempts, at, userID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record failed sign-in: %w", err)
	}
	return locked, nil
}

// UnlockUser clears the failed sign-ins and any lock: after a successful
// sign-in, or when an administrator unlocks the account.
func (s *Store) UnlockUser(ctx context.Context, userID int64) error {
	defer s.forgetAuth()
	return s.exec(ctx, errUserNotFound, `UPDATE users SET failed_attempts = 0, locked_at = NULL WHERE id = ?`, userID)
}
