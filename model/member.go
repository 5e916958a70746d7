package model

import (
	"fmt"
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
}

// Pending reports whether the membership is an invite not yet accepted.
func (m *Member) Pending() bool { return m.UserID == nil }
