package model

import (
	"slices"
	"strings"
	"time"
)

// Token scopes.
const (
	ScopeAPI     = "api"
	ScopeReadAPI = "read_api"
	// ScopeSudo lets an administrator's token act as any user (the Sudo
	// header or sudo parameter), as GitLab's sudo scope does.
	ScopeSudo = "sudo"
)

// Scopes lists the scopes a personal access token can have.
var Scopes = []string{ScopeAPI, ScopeReadAPI, ScopeSudo}

// AvailableScopes are the scopes a user may give a token: sudo only an
// administrator, as in GitLab.
func AvailableScopes(admin bool) []string {
	if admin {
		return Scopes
	}
	return []string{ScopeAPI, ScopeReadAPI}
}

// TokenPrefix starts every personal access token, as GitLab's "glpat-".
const TokenPrefix = "glpat-"

// PersonalAccessToken lets scripts call the API as a user.
type PersonalAccessToken struct {
	ID         int64      `db:"id"`
	UserID     int64      `db:"user_id"`
	Name       string     `db:"name"`
	Scopes     string     `db:"scopes"` // comma-separated
	ExpiresAt  *time.Time `db:"expires_at"`
	Revoked    bool       `db:"revoked"`
	LastUsedAt *time.Time `db:"last_used_at"`
	CreatedAt  time.Time  `db:"created_at"`
}

// ScopeList returns the token's scopes.
func (t *PersonalAccessToken) ScopeList() []string {
	if t.Scopes == "" {
		return nil
	}
	return strings.Split(t.Scopes, ",")
}

// HasScope reports whether the token grants scope; api implies read_api.
func (t *PersonalAccessToken) HasScope(scope string) bool {
	s := t.ScopeList()
	return slices.Contains(s, scope) || (scope == ScopeReadAPI && slices.Contains(s, ScopeAPI))
}

// Expired reports whether the token has expired at now. A token expires at
// the start of its expiry day (UTC), as GitLab's do.
func (t *PersonalAccessToken) Expired(now time.Time) bool {
	return t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)
}

// Active reports whether the token can be used at now.
func (t *PersonalAccessToken) Active(now time.Time) bool { return !t.Revoked && !t.Expired(now) }

// NewTokenInput is what creating a token takes.
type NewTokenInput struct {
	Name      string
	Scopes    []string
	ExpiresAt string // YYYY-MM-DD or ""
	// Admin says the owner is an administrator, who alone may have sudo.
	Admin bool
}

// Validate checks the input and returns the parsed expiry.
func (in *NewTokenInput) Validate(now time.Time) (*time.Time, error) {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		v.Add("name", "can't be blank")
	} else if len(in.Name) > 255 {
		v.Add("name", "is too long (maximum is 255 characters)")
	}
	if len(in.Scopes) == 0 {
		v.Add("scopes", "can't be blank")
	}
	available := AvailableScopes(in.Admin)
	for _, s := range in.Scopes {
		if !slices.Contains(available, s) {
			v.Add("scopes", "can only contain available scopes: "+strings.Join(available, ", "))
			break
		}
	}
	var exp *time.Time
	if in.ExpiresAt != "" {
		d, err := time.Parse("2006-01-02", in.ExpiresAt)
		switch {
		case err != nil:
			v.Add("expires_at", "is not a date (use YYYY-MM-DD)")
		case !d.After(now):
			v.Add("expires_at", "must be in the future")
		default:
			exp = &d
		}
	}
	return exp, v.Err()
}
