package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

var errEmailNotFound = model.NotFound("Email")

// AddEmail stores a secondary address awaiting confirmation; the raw
// confirmation token is mailed, only its digest is kept.
func (s *Store) AddEmail(ctx context.Context, userID int64, email, confirmationToken string) (*model.Email, error) {
	e := &model.Email{UserID: userID, Email: email, CreatedAt: s.Now()}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if err := s.emailFree(ctx, tx, email, -1); err != nil {
			return err
		}
		return tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO emails
			(user_id, email, confirmation_token_digest, confirmation_sent_at, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`),
			userID, email, Digest(confirmationToken), e.CreatedAt, e.CreatedAt).Scan(&e.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("add email: %w", err)
	}
	return e, nil
}

// Emails lists a user's secondary addresses.
func (s *Store) Emails(ctx context.Context, userID int64) ([]model.Email, error) {
	out := []model.Email{}
	err := s.sel(ctx, &out, `SELECT id, user_id, email, confirmed_at, created_at FROM emails WHERE user_id = ? ORDER BY id`, userID)
	return out, err
}

// Email returns one secondary address of a user.
func (s *Store) Email(ctx context.Context, userID, id int64) (*model.Email, error) {
	var e model.Email
	return &e, s.get(ctx, &e, errEmailNotFound, `SELECT id, user_id, email, confirmed_at, created_at FROM emails WHERE user_id = ? AND id = ?`, userID, id)
}

// ConfirmEmail marks the address holding token as verified.
func (s *Store) ConfirmEmail(ctx context.Context, token string) (*model.Email, error) {
	var e model.Email
	err := s.get(ctx, &e, errEmailNotFound, `SELECT id, user_id, email, confirmed_at, created_at FROM emails WHERE confirmation_token_digest = ?`, Digest(token))
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if err := s.exec(ctx, errEmailNotFound, `UPDATE emails SET confirmed_at = ?, confirmation_token_digest = NULL WHERE id = ?`, now, e.ID); err != nil {
		return nil, err
	}
	e.ConfirmedAt = &now
	return &e, nil
}

// MarkEmailVerified lets an admin verify an address directly.
func (s *Store) MarkEmailVerified(ctx context.Context, id int64) error {
	return s.exec(ctx, errEmailNotFound, `UPDATE emails SET confirmed_at = ?, confirmation_token_digest = NULL WHERE id = ? AND confirmed_at IS NULL`, s.Now(), id)
}

// DeleteEmail removes a secondary address.
func (s *Store) DeleteEmail(ctx context.Context, userID, id int64) error {
	return s.exec(ctx, errEmailNotFound, `DELETE FROM emails WHERE user_id = ? AND id = ?`, userID, id)
}

// VerifiedEmails lists every verified address of a user, primary first.
func (s *Store) VerifiedEmails(ctx context.Context, userID int64) ([]string, error) {
	out := []string{}
	err := s.sel(ctx, &out, `SELECT email FROM (
		SELECT email, 0 AS o, 0 AS id FROM users WHERE id = ?
		UNION ALL SELECT email, 1 AS o, id FROM emails WHERE user_id = ? AND confirmed_at IS NOT NULL) e ORDER BY o, id`, userID, userID)
	return out, err
}

// RenewEmailConfirmation replaces the confirmation token of an unverified
// address, so that a resent link works and the old one no longer does. A
// verified address is left alone and reported as a conflict.
func (s *Store) RenewEmailConfirmation(ctx context.Context, userID, id int64, confirmationToken string) (*model.Email, error) {
	err := s.exec(ctx, nil, `UPDATE emails SET confirmation_token_digest = ?, confirmation_sent_at = ?
		WHERE user_id = ? AND id = ? AND confirmed_at IS NULL`, Digest(confirmationToken), s.Now(), userID, id)
	if err != nil {
		return nil, fmt.Errorf("renew email confirmation: %w", err)
	}
	e, err := s.Email(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if e.Verified() {
		return nil, model.Conflict("%s is already confirmed", e.Email)
	}
	return e, nil
}
