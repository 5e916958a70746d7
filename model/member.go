package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AccessLevel is a member's role.
type AccessLevel int

// GitLab's access levels.
const (
	NoAccess   AccessLevel = 0
	Guest      AccessLevel = 10
	Reporter   AccessLevel = 20
	Developer  AccessLevel = 30
	Maintainer AccessLevel = 40
	Owner      AccessLevel = 50
	// AdminAccess is what an administrator has everywhere.
	AdminAccess AccessLevel = 60
)

// AccessLevels lists the levels a member can be given, lowest first.
var AccessLevels = []AccessLevel{Guest, Reporter, Developer, Maintainer, Owner}

func (a AccessLevel) String() string {
	switch a {
	case Guest:
		return "Guest"
	case Reporter:
		return "Reporter"
	case Developer:
		return "Developer"
	case Maintainer:
		return "Maintainer"
	case Owner:
		return "Owner"
	case AdminAccess:
		return "Administrator"
	case NoAccess:
		return "No access"
	}
	return fmt.Sprintf("Level %d", int(a))
}

// Valid reports whether a can be given to a member.
func (a AccessLevel) Valid() bool {
	for _, l := range AccessLevels {
		if a == l {
			return true
		}
	}
	return false
}

// Source types of a membership.
const (
	SourceGroup   = "Namespace"
	SourceProject = "Project"
)

// Member is a user's (or a pending invite's) access to a group or project.
type Member struct {
	ID                 int64       `db:"id"`
	SourceType         string      `db:"source_type"`
	SourceID           int64       `db:"source_id"`
	UserID             *int64      `db:"user_id"`
	AccessLevel        AccessLevel `db:"access_level"`
	InviteEmail        *string     `db:"invite_email"`
	InviteEmailSuccess bool        `db:"invite_email_success"`
	InviteFailure      string      `db:"invite_failure"` // reason of the last failed invite e-mail
	CreatedByID        *int64      `db:"created_by_id"`
	CreatedAt          time.Time   `db:"created_at"`
	UpdatedAt          time.Time   `db:"updated_at"`
	ExpiresAt          *time.Time  `db:"expires_at"`

	// Filled by list queries.
	Username string `db:"username"`
	Name     string `db:"name"`
	State    string `db:"state"`
	// The member's creator (empty when unknown or deleted).
	CreatedByUsername string `db:"created_by_username"`
	CreatedByName     string `db:"created_by_name"`
	CreatedByState    string `db:"created_by_state"`
	// SourceName and SourcePath name the group or project the membership
	// belongs to; lists of inherited members fill them.
	SourceName string `db:"source_name"`
	SourcePath string `db:"source_path"`
}

// Pending reports whether the membership is an invite not yet accepted.
func (m *Member) Pending() bool { return m.UserID == nil }

// ParseAccessLevel reads a level given as its number ("30") or its name
// ("developer"); ok is false for anything a member cannot be given.
func ParseAccessLevel(s string) (AccessLevel, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		l := AccessLevel(n)
		return l, l.Valid()
	}
	for _, l := range AccessLevels {
		if strings.EqualFold(l.String(), s) {
			return l, true
		}
	}
	return 0, false
}

// Inherits reports whether the membership came from another source than
// the one being looked at (an ancestor group).
func (m *Member) Inherits(sourceType string, sourceID int64) bool {
	return m.SourceType != sourceType || m.SourceID != sourceID
}

// InheritedLevelProblem is GitLab's refusal of a direct membership lower
// than one the user already inherits: a direct level only ever raises access.
func InheritedLevelProblem(level, inherited AccessLevel, groupName string) string {
	if inherited == NoAccess || level >= inherited {
		return ""
	}
	return fmt.Sprintf("should be greater than or equal to %s inherited membership from group %s", inherited, groupName)
}

// MembershipExpiry parses an expires_at date (YEAR-MONTH-DAY). A blank value
// means no expiry. The date must not be in the past, as GitLab's rule says.
func MembershipExpiry(s string, now time.Time) (*time.Time, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ""
	}
	if len(s) > 10 { // tolerate a full timestamp; only the date counts
		s = s[:10]
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return nil, "is invalid"
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if d.Before(today) {
		return nil, "cannot be a date in the past"
	}
	return &d, ""
}

// InvitePath is where an invite is accepted or declined; the raw token is
// the only key to it.
func InvitePath(rawToken string) string { return "/-/invites/" + rawToken }

// InviteMail is the invitation e-mail. Its tag and invite_token variable let
// a Mailgun failure webhook find the invite again.
func InviteMail(to, inviter, kind, sourceName string, level AccessLevel, externalURL, rawToken string) Mail {
	who := "Someone"
	if inviter != "" {
		who = inviter
	}
	body := fmt.Sprintf(`Hello,

%s invited you to join the %s %s as %s %s.

Accept or decline the invitation here:
%s

If you were not expecting this invitation, you can ignore this e-mail.
`, who, sourceName, kind, article(level.String()), level, strings.TrimSuffix(externalURL, "/")+InvitePath(rawToken))
	return Mail{
		To:        to,
		Subject:   fmt.Sprintf("Invitation to join the %s %s", sourceName, kind),
		Body:      body,
		Tag:       InviteEmailTag,
		Variables: map[string]string{"invite_token": rawToken},
	}
}

func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
