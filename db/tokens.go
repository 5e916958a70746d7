package db

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

const tokenColumns = `id, user_id, name, scopes, expires_at, revoked, last_used_at, created_at`

var errTokenNotFound = model.NotFound("Personal Access Token")

// CreateToken stores a token; only the digest of raw is kept.
func (s *Store) CreateToken(ctx context.Context, t *model.PersonalAccessToken, raw string) error {
	t.CreatedAt = s.Now()
	err := s.w.QueryRowxContext(ctx, s.w.Rebind(`INSERT INTO personal_access_tokens
		(user_id, name, token_digest, scopes, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
		t.UserID, t.Name, Digest(raw), t.Scopes, t.ExpiresAt, t.CreatedAt).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

// TokenByRaw finds a token by its secret value.
func (s *Store) TokenByRaw(ctx context.Context, raw string) (*model.PersonalAccessToken, error) {
	var t model.PersonalAccessToken
	return &t, s.get(ctx, &t, errTokenNotFound, `SELECT `+tokenColumns+` FROM personal_access_tokens WHERE token_digest = ?`, Digest(raw))
}

// Tokens lists a user's tokens, newest first.
func (s *Store) Tokens(ctx context.Context, userID int64) ([]model.PersonalAccessToken, error) {
	out := []model.PersonalAccessToken{}
	return out, s.sel(ctx, &out, `SELECT `+tokenColumns+` FROM personal_access_tokens WHERE user_id = ? ORDER BY id DESC`, userID)
}

// RevokeToken revokes one of a user's tokens.
func (s *Store) RevokeToken(ctx context.Context, userID, id int64) error {
	defer s.forgetAuth()
	return s.exec(ctx, errTokenNotFound, `UPDATE personal_access_tokens SET revoked = TRUE WHERE user_id = ? AND id = ?`, userID, id)
}

// TouchToken records use, at most once a minute per token so that API
// traffic does not turn into writes.
func (s *Store) TouchToken(ctx context.Context, t *model.PersonalAccessToken) error {
	now := s.Now()
	if t.LastUsedAt != nil && now.Sub(*t.LastUsedAt) < time.Minute {
		return nil
	}
	t.LastUsedAt = &now
	defer s.forgetAuth() // cached copies hold the old time
	return s.exec(ctx, nil, `UPDATE personal_access_tokens SET last_used_at = ? WHERE id = ?`, now, t.ID)
}

// JoinScopes is the stored form of a scope list.
func JoinScopes(scopes []string) string { return strings.Join(scopes, ",") }

// IssueToken validates and creates a personal access token and returns its
// secret value, which is never stored and can be shown only this once.
func (s *Store) IssueToken(ctx context.Context, userID int64, in model.NewTokenInput) (string, *model.PersonalAccessToken, error) {
	exp, err := in.Validate(s.Now())
	if err != nil {
		return "", nil, err
	}
	raw := NewTokenValue()
	t := &model.PersonalAccessToken{UserID: userID, Name: in.Name, Scopes: JoinScopes(in.Scopes), ExpiresAt: exp}
	if err := s.CreateToken(ctx, t, raw); err != nil {
		return "", nil, err
	}
	return raw, t, nil
}

// NewTokenValue is a fresh random token with GitLab's "glpat-" prefix.
func NewTokenValue() string { return model.TokenPrefix + RandomToken(20) }

// RandomToken returns n random bytes, URL-safe base64 encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// SetTokenExpiry changes a token's expiry (admin tooling and tests).
func (s *Store) SetTokenExpiry(ctx context.Context, id int64, at *time.Time) error {
	defer s.forgetAuth()
	return s.exec(ctx, errTokenNotFound, `UPDATE personal_access_tokens SET expires_at = ? WHERE id = ?`, at, id)
}

// Token returns a token by ID.
func (s *Store) Token(ctx context.Context, id int64) (*model.PersonalAccessToken, error) {
	var t model.PersonalAccessToken
	return &t, s.get(ctx, &t, errTokenNotFound, `SELECT `+tokenColumns+` FROM personal_access_tokens WHERE id = ?`, id)
}

// TokenFilter selects tokens for GET /personal_access_tokens.
type TokenFilter struct {
	// UserID keeps one user's tokens (0: everyone's).
	UserID int64
	// State is "active", "inactive" or "" (both), at Now.
	State string
	Now   time.Time
	// Revoked, when set, keeps revoked (true) or unrevoked tokens.
	Revoked *bool
	// Search matches the name, case-insensitively.
	Search string
	Page   Page
}

// ListTokens lists tokens by ID with the total count.
func (s *Store) ListTokens(ctx context.Context, f TokenFilter) ([]model.PersonalAccessToken, int, error) {
	where, args := "1=1", []any{}
	if f.UserID != 0 {
		where += " AND user_id = ?"
		args = append(args, f.UserID)
	}
	switch f.State {
	case "active":
		where += " AND revoked = FALSE AND (expires_at IS NULL OR expires_at > ?)"
		args = append(args, f.Now)
	case "inactive":
		where += " AND (revoked = TRUE OR (expires_at IS NOT NULL AND expires_at <= ?))"
		args = append(args, f.Now)
	}
	if f.Revoked != nil {
		where += " AND revoked = ?"
		args = append(args, *f.Revoked)
	}
	if f.Search != "" {
		where += " AND lower(name) LIKE ?"
		args = append(args, "%"+strings.ToLower(f.Search)+"%")
	}
	var total int
	if err := s.get(ctx, &total, nil, `SELECT COUNT(*) FROM personal_access_tokens WHERE `+where, args...); err != nil {
		return nil, 0, fmt.Errorf("count tokens: %w", err)
	}
	out := []model.PersonalAccessToken{}
	err := s.sel(ctx, &out, `SELECT `+tokenColumns+` FROM personal_access_tokens WHERE `+where+` ORDER BY id LIMIT ? OFFSET ?`,
		append(args, f.Page.PerPage, f.Page.Offset())...)
	if err != nil {
		return nil, 0, fmt.Errorf("list tokens: %w", err)
	}
	return out, total, nil
}

// errTokenRevoked answers a rotation of a token that is no longer active.
var errTokenRevoked = model.BadRequest("400 Bad request - Token already revoked")

// RotateToken revokes t and issues its successor with the same owner, name
// and scopes, expiring at expires (GitLab's rotation), in one transaction:
// of two concurrent rotations only one succeeds. It returns the new
// token's secret, shown this once.
func (s *Store) RotateToken(ctx context.Context, t *model.PersonalAccessToken, expires *time.Time) (string, *model.PersonalAccessToken, error) {
	defer s.forgetAuth()
	raw := NewTokenValue()
	n := &model.PersonalAccessToken{UserID: t.UserID, Name: t.Name, Scopes: t.Scopes, ExpiresAt: expires, CreatedAt: s.Now()}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE personal_access_tokens SET revoked = TRUE WHERE id = ? AND revoked = FALSE`), t.ID)
		if err != nil {
			return fmt.Errorf("rotate token: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return errTokenRevoked
		}
		err = tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO personal_access_tokens
			(user_id, name, token_digest, scopes, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			n.UserID, n.Name, Digest(raw), n.Scopes, n.ExpiresAt, n.CreatedAt).Scan(&n.ID)
		if err != nil {
			return fmt.Errorf("rotate token: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	t.Revoked = true
	return raw, n, nil
}
