package db

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

// sessionIDBytes is the entropy of a session ID.
const sessionIDBytes = 32

// userAgentMax bounds the stored browser string; a client may send any.
const userAgentMax = 512

const sessionColumns = `id, user_id, created_at, last_seen_at, ip, user_agent`

var errSessionNotFound = model.NotFound("Session")

// CreateSession starts a session for the user and returns the raw session
// ID for the cookie (stored only as a digest). Sessions unused for
// model.SessionTTL are pruned on the way.
func (s *Store) CreateSession(ctx context.Context, userID int64, ip, userAgent string) (string, *model.Session, error) {
	now := s.Now()
	raw := RandomToken(sessionIDBytes)
	sess := &model.Session{UserID: userID, CreatedAt: now, LastSeenAt: now, IP: ip, UserAgent: truncate(userAgent, userAgentMax)}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM sessions WHERE last_seen_at < ?`), now.Add(-model.SessionTTL)); err != nil {
			return err
		}
		return tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO sessions (user_id, token_digest, created_at, last_seen_at, ip, user_agent)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), userID, Digest(raw), now, now, sess.IP, sess.UserAgent).Scan(&sess.ID)
	})
	if err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return raw, sess, nil
}

// SessionByRaw finds the live session of a cookie's session ID; an unknown,
// ended or expired one is ErrNotFound.
func (s *Store) SessionByRaw(ctx context.Context, raw string) (*model.Session, error) {
	var sess model.Session
	err := s.get(ctx, &sess, errSessionNotFound, `SELECT `+sessionColumns+` FROM sessions WHERE token_digest = ? AND last_seen_at >= ?`,
		Digest(raw), s.Now().Add(-model.SessionTTL))
	if err != nil {
		return nil, err
	}
	return &sess, nil
}

// TouchSession records that the session was just used, from where and
// with which browser.
func (s *Store) TouchSession(ctx context.Context, id int64, ip, userAgent string) error {
	return s.exec(ctx, nil, `UPDATE sessions SET last_seen_at = ?, ip = ?, user_agent = ? WHERE id = ?`,
		s.Now(), ip, truncate(userAgent, userAgentMax), id)
}

// UserSessions lists a user's live sessions, most recently used first.
func (s *Store) UserSessions(ctx context.Context, userID int64) ([]model.Session, error) {
	out := []model.Session{}
	err := s.sel(ctx, &out, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = ? AND last_seen_at >= ?
		ORDER BY last_seen_at DESC, id DESC`, userID, s.Now().Add(-model.SessionTTL))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}

// DeleteSession ends one of the user's sessions (Revoke).
func (s *Store) DeleteSession(ctx context.Context, userID, id int64) error {
	return s.exec(ctx, errSessionNotFound, `DELETE FROM sessions WHERE id = ? AND user_id = ?`, id, userID)
}

// DeleteSessionByRaw ends the session of a cookie (sign-out).
func (s *Store) DeleteSessionByRaw(ctx context.Context, raw string) error {
	return s.exec(ctx, nil, `DELETE FROM sessions WHERE token_digest = ?`, Digest(raw))
}

// DeleteUserSessions ends every session of the user except keepID (0:
// none kept), as a password change does.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, keepID int64) error {
	return s.exec(ctx, nil, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keepID)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
