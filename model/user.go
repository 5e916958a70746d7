package model

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// User states.
const (
	UserActive  = "active"
	UserBlocked = "blocked"
)

// User is an account that signs in to Hooklab or calls its API.
type User struct {
	ID           int64     `db:"id"`
	Username     string    `db:"username"`
	Name         string    `db:"name"`
	Email        string    `db:"email"` // primary e-mail, always verified
	PasswordHash string    `db:"password_hash"`
	Admin        bool      `db:"admin"`
	State        string    `db:"state"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
	// FailedAttempts counts failed sign-ins since the last successful one;
	// LockedAt is when they locked the account (nil: not locked).
	FailedAttempts int        `db:"failed_attempts"`
	LockedAt       *time.Time `db:"locked_at"`
}

// Active reports whether the user may sign in and use tokens.
func (u *User) Active() bool { return u.State == UserActive }

// Account lockout follows GitLab's defaults: the 10th failed sign-in in a
// row locks the account for 10 minutes, unless an administrator unlocks it
// sooner.
const (
	MaxFailedSignIns = 10
	LockDuration     = 10 * time.Minute
)

// Locked reports whether failed sign-ins keep the account locked at now.
func (u *User) Locked(now time.Time) bool {
	return u.LockedAt != nil && now.Before(u.LockedAt.Add(LockDuration))
}

// UnlocksAt is when the current lock ends by itself.
func (u *User) UnlocksAt() time.Time {
	if u.LockedAt == nil {
		return time.Time{}
	}
	return u.LockedAt.Add(LockDuration)
}

// Email is one of a user's addresses beyond the primary one.
type Email struct {
	ID          int64      `db:"id"`
	UserID      int64      `db:"user_id"`
	Email       string     `db:"email"`
	ConfirmedAt *time.Time `db:"confirmed_at"`
	CreatedAt   time.Time  `db:"created_at"`
}

// Verified reports whether the address was confirmed.
func (e *Email) Verified() bool { return e.ConfirmedAt != nil }

// Username rules follow GitLab's: letters, digits, '_', '-', '.'; must not
// start or end with a special character nor hold two in a row; at most 255.
var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$`)

// MinPasswordLength is GitLab's default minimum.
const MinPasswordLength = 8

// NewUserInput is what creating a user takes.
type NewUserInput struct {
	Username string
	Name     string
	Email    string
	Password string
	Admin    bool
}

// Validate checks the input's rules and normalises it.
func (in *NewUserInput) Validate() error {
	var v ValidationError
	in.Username = strings.TrimSpace(in.Username)
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.TrimSpace(in.Email)
	switch {
	case in.Username == "":
		v.Add("username", "can't be blank")
	case len(in.Username) > 255:
		v.Add("username", "is too long (maximum is 255 characters)")
	case !usernamePattern.MatchString(in.Username) || strings.Contains(in.Username, "..") ||
		strings.Contains(in.Username, "--") || strings.Contains(in.Username, "__"):
		v.Add("username", "can contain only letters, digits, '_', '-' and '.'. Cannot start or end with a special character, and cannot hold two special characters in a row.")
	case IsReservedPath(in.Username):
		v.Add("username", "is a reserved name")
	}
	if in.Name == "" {
		in.Name = in.Username
	}
	if len(in.Name) > 255 {
		v.Add("name", "is too long (maximum is 255 characters)")
	}
	if msg := EmailProblem(in.Email); msg != "" {
		v.Add("email", msg)
	}
	if msg := PasswordProblem(in.Password); msg != "" {
		v.Add("password", msg)
	}
	return v.Err()
}

// NameProblem returns why a display name is not acceptable, or "".
func NameProblem(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "can't be blank"
	case len(name) > 255:
		return "is too long (maximum is 255 characters)"
	}
	return ""
}

// EmailProblem returns why an address is not acceptable, or "".
func EmailProblem(email string) string {
	if email == "" {
		return "can't be blank"
	}
	if len(email) > 255 {
		return "is too long (maximum is 255 characters)"
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@'):], ".") {
		return "is invalid"
	}
	return ""
}

// PasswordProblem returns why a password is not acceptable, or "".
func PasswordProblem(pw string) string {
	switch {
	case pw == "":
		return "can't be blank"
	case len(pw) < MinPasswordLength:
		return "is too short (minimum is 8 characters)"
	case len(pw) > 72:
		// bcrypt ignores bytes past 72; refuse rather than silently truncate.
		return "is too long (maximum is 72 characters)"
	}
	return ""
}

// NormalizeEmail lower-cases an address for comparison and uniqueness.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
