package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

// MailgunReceipt says what recording one webhook did.
type MailgunReceipt struct {
	// Failure is the stored failure; nil when the event was not one.
	Failure *model.MailgunFailure
	// InviteMarked: a pending invitation was marked as failed.
	InviteMarked bool
	// AddressFailing: the recipient is (now) a failing address.
	AddressFailing bool
}

// RecordMailgunWebhook records a webhook whose signature has been verified,
// in one transaction: it claims the signature's token (model.ErrMailgunReplay
// when it was seen before), stores a failure event with the recipient's
// daily counts, marks the address as failing past the limits, and marks a
// permanently failed invitation e-mail. Nothing is kept when any step fails,
// so Mailgun may retry the same request. Expired tokens, old counts and
// failures past their retention are pruned on the way.
func (s *Store) RecordMailgunWebhook(ctx context.Context, sig model.MailgunSignature, ev model.MailgunEvent) (MailgunReceipt, error) {
	var rc MailgunReceipt
	now := s.Now()
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM mailgun_webhook_tokens WHERE expires_at < ?`), now); err != nil {
			return fmt.Errorf("prune mailgun tokens: %w", err)
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO mailgun_webhook_tokens (token_digest, expires_at) VALUES (?, ?)
			ON CONFLICT (token_digest) DO NOTHING`), Digest(sig.Token), sig.SeenUntil().UTC())
		if err != nil {
			return fmt.Errorf("claim mailgun token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return model.ErrMailgunReplay
		}
		if !ev.IsFailure() {
			return nil
		}
		f := ev.Failure(now)
		if err := s.insertMailgunFailure(ctx, tx, &f, now); err != nil {
			return err
		}
		rc.Failure = &f
		if rc.AddressFailing, err = countMailgunFailure(ctx, tx, f, now); err != nil {
			return err
		}
		if raw, ok := ev.InviteToken(); ok {
			if rc.InviteMarked, err = markInviteEmailFailed(ctx, tx, raw, f.InviteReason(), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return MailgunReceipt{}, err
	}
	return rc, nil
}

func (s *Store) insertMailgunFailure(ctx context.Context, tx *sqlx.Tx, f *model.MailgunFailure, now time.Time) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM mailgun_failures WHERE received_at < ?`),
		now.Add(-model.MailgunFailureRetention)); err != nil {
		return fmt.Errorf("prune mailgun failures: %w", err)
	}
	err := tx.GetContext(ctx, &f.ID, tx.Rebind(`INSERT INTO mailgun_failures
		(recipient, address, severity, reason, code, message, description, event_id, message_id, occurred_at, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		f.Recipient, model.NormalizeAddress(f.Recipient), f.Severity, f.Reason, f.Code, f.Message, f.Description,
		f.EventID, f.MessageID, f.OccurredAt, f.ReceivedAt)
	if err != nil {
		return fmt.Errorf("record mailgun failure: %w", err)
	}
	return nil
}

// countMailgunFailure adds the failure to its recipient's count for the day
// and marks the address as failing when the count passes a limit. It
// reports whether the address is failing.
func countMailgunFailure(ctx context.Context, tx *sqlx.Tx, f model.MailgunFailure, now time.Time) (bool, error) {
	addr := model.NormalizeAddress(f.Recipient)
	if addr == "" {
		return false, nil
	}
	day := now.Format(time.DateOnly)
	// Yesterday's counts are the oldest worth keeping (for an admin's eyes
	// in the database); the limits look at today only.
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM mailgun_failure_counts WHERE day < ?`),
		now.AddDate(0, 0, -1).Format(time.DateOnly)); err != nil {
		return false, fmt.Errorf("prune mailgun counts: %w", err)
	}
	var temp, perm int
	if f.Severity == model.MailgunPermanent {
		perm = 1
	} else {
		temp = 1
	}
	var counts struct {
		Temporary int `db:"temporary"`
		Permanent int `db:"permanent"`
	}
	err := tx.GetContext(ctx, &counts, tx.Rebind(`INSERT INTO mailgun_failure_counts (address, day, temporary, permanent)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (address, day) DO UPDATE SET temporary = mailgun_failure_counts.temporary + excluded.temporary,
			permanent = mailgun_failure_counts.permanent + excluded.permanent
		RETURNING temporary, permanent`), addr, day, temp, perm)
	if err != nil {
		return false, fmt.Errorf("count mailgun failure: %w", err)
	}
	if !model.MailgunFailing(counts.Temporary, counts.Permanent) {
		var n int
		err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM mailgun_failing_addresses WHERE address = ?`), addr)
		return n > 0, err
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO mailgun_failing_addresses (address, day, temporary, permanent, marked_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (address) DO UPDATE SET day = excluded.day, temporary = excluded.temporary, permanent = excluded.permanent`),
		addr, day, counts.Temporary, counts.Permanent, now)
	if err != nil {
		return false, fmt.Errorf("mark failing address: %w", err)
	}
	return true, nil
}

// MailgunFailureFilter narrows the failure list.
type MailgunFailureFilter struct {
	Severity  string // "", permanent or temporary
	Recipient string // part of the address, any case
	Page      Page
}

const mailgunFailureColumns = `id, recipient, severity, reason, code, message, description, event_id, message_id, occurred_at, received_at`

// MailgunFailures lists recorded failures, newest first, with the total.
func (s *Store) MailgunFailures(ctx context.Context, f MailgunFailureFilter) ([]model.MailgunFailure, int, error) {
	where, args := "1=1", []any{}
	if f.Severity != "" {
		where += " AND severity = ?"
		args = append(args, f.Severity)
	}
	if r := model.NormalizeAddress(f.Recipient); r != "" {
		where += ` AND address LIKE ? ESCAPE '\'`
		args = append(args, "%"+likeEscape(r)+"%")
	}
	var total int
	if err := s.get(ctx, &total, nil, `SELECT COUNT(*) FROM mailgun_failures WHERE `+where, args...); err != nil {
		return nil, 0, fmt.Errorf("count mailgun failures: %w", err)
	}
	out := []model.MailgunFailure{}
	err := s.sel(ctx, &out, `SELECT `+mailgunFailureColumns+` FROM mailgun_failures WHERE `+where+
		` ORDER BY received_at DESC, id DESC LIMIT ? OFFSET ?`, append(args, f.Page.PerPage, f.Page.Offset())...)
	if err != nil {
		return nil, 0, fmt.Errorf("list mailgun failures: %w", err)
	}
	return out, total, nil
}

// likeEscape makes s match itself literally in LIKE ... ESCAPE '\': a
// search for "a_b%" must not become a pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// FailingAddresses lists the addresses that failed too often, newest first.
func (s *Store) FailingAddresses(ctx context.Context) ([]model.FailingAddress, error) {
	out := []model.FailingAddress{}
	if err := s.sel(ctx, &out, `SELECT id, address, day, temporary, permanent, marked_at FROM mailgun_failing_addresses
		ORDER BY marked_at DESC, id DESC`); err != nil {
		return nil, fmt.Errorf("list failing addresses: %w", err)
	}
	return out, nil
}

// AddressFailing reports whether notification e-mail to address must be
// skipped because it failed too often.
func (s *Store) AddressFailing(ctx context.Context, address string) (bool, error) {
	var one int
	err := s.get(ctx, &one, sql.ErrNoRows, `SELECT 1 FROM mailgun_failing_addresses WHERE address = ?`, model.NormalizeAddress(address))
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read failing address: %w", err)
	}
	return true, nil
}

// AllowFailingAddress takes an address off the failing list (an admin
// decided it works again) and forgets its counts, so the next single
// failure does not mark it at once. It returns the address.
func (s *Store) AllowFailingAddress(ctx context.Context, id int64) (string, error) {
	var addr string
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &addr, tx.Rebind(`DELETE FROM mailgun_failing_addresses WHERE id = ? RETURNING address`), id)
		if errors.Is(err, sql.ErrNoRows) {
			return model.NotFound("Failing address")
		}
		if err != nil {
			return fmt.Errorf("allow failing address: %w", err)
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM mailgun_failure_counts WHERE address = ?`), addr)
		return err
	})
	return addr, err
}
