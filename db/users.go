package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

const userColumns = `id, username, name, email, password_hash, admin, state, created_at, updated_at, failed_attempts, locked_at`

var errUserNotFound = model.NotFound("User")

// CreateUser stores a new user. The password must already be hashed.
func (s *Store) CreateUser(ctx context.Context, u *model.User) error {
	now := s.Now()
	u.CreatedAt, u.UpdatedAt = now, now
	if u.State == "" {
		u.State = model.UserActive
	}
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		if err := s.emailFree(ctx, tx, u.Email, 0); err != nil {
			return err
		}
		err := tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO users
			(username, name, email, password_hash, admin, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			u.Username, u.Name, u.Email, u.PasswordHash, u.Admin, u.State, u.CreatedAt, u.UpdatedAt).Scan(&u.ID)
		if isUniqueViolation(err) {
			v := &model.ValidationError{}
			v.Add("username", "has already been taken")
			return v
		}
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		return nil
	})
}

// addTaken adds "has already been taken" to v for the e-mail and username
// of in that are otherwise valid but belong to someone (the e-mail first:
// the API answers the first with GitLab's 409, and GitLab checks it first).
func (s *Store) addTaken(ctx context.Context, v *model.ValidationError, in model.NewUserInput) error {
	if len(v.For("email")) == 0 {
		var n int
		if err := s.r.GetContext(ctx, &n, s.r.Rebind(`SELECT
			(SELECT COUNT(*) FROM users WHERE lower(email) = lower(?)) +
			(SELECT COUNT(*) FROM emails WHERE lower(email) = lower(?))`), in.Email, in.Email); err != nil {
			return fmt.Errorf("check e-mail: %w", err)
		}
		if n > 0 {
			v.Add("email", "has already been taken")
		}
	}
	if len(v.For("username")) == 0 {
		var n int
		if err := s.r.GetContext(ctx, &n, s.r.Rebind(`SELECT COUNT(*) FROM users WHERE lower(username) = lower(?)`), in.Username); err != nil {
			return fmt.Errorf("check username: %w", err)
		}
		if n > 0 {
			v.Add("username", "has already been taken")
		}
	}
	return nil
}

// emailFree fails when email is already some user's primary or secondary
// address (other than userID's own primary).
func (s *Store) emailFree(ctx context.Context, tx *sqlx.Tx, email string, userID int64) error {
	var n int
	err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT
		(SELECT COUNT(*) FROM users WHERE lower(email) = lower(?) AND id <> ?) +
		(SELECT COUNT(*) FROM emails WHERE lower(email) = lower(?))`), email, userID, email)
	if err != nil {
		return fmt.Errorf("check e-mail: %w", err)
	}
	if n > 0 {
		v := &model.ValidationError{}
		v.Add("email", "has already been taken")
		return v
	}
	return nil
}

// User returns a user by ID.
func (s *Store) User(ctx context.Context, id int64) (*model.User, error) {
	var u model.User
	return &u, s.get(ctx, &u, errUserNotFound, `SELECT `+userColumns+` FROM users WHERE id = ?`, id)
}

// UserByUsername returns a user by username (case-insensitive).
func (s *Store) UserByUsername(ctx context.Context, username string) (*model.User, error) {
	var u model.User
	return &u, s.get(ctx, &u, errUserNotFound, `SELECT `+userColumns+` FROM users WHERE lower(username) = lower(?)`, username)
}

// UserByLogin returns a user by username or primary e-mail, for sign-in.
func (s *Store) UserByLogin(ctx context.Context, login string) (*model.User, error) {
	var u model.User
	return &u, s.get(ctx, &u, errUserNotFound, `SELECT `+userColumns+` FROM users
		WHERE lower(username) = lower(?) OR lower(email) = lower(?)`, login, login)
}

// UserByEmail returns the user owning a primary or verified secondary e-mail.
func (s *Store) UserByEmail(ctx context.Context, email string) (*model.User, error) {
	var u model.User
	return &u, s.get(ctx, &u, errUserNotFound, `SELECT `+userColumns+` FROM users
		WHERE lower(email) = lower(?) OR id IN
		(SELECT user_id FROM emails WHERE lower(email) = lower(?) AND confirmed_at IS NOT NULL)`, email, email)
}

// UserFilter narrows a user list.
type UserFilter struct {
	// Search matches part of the username or name, and the whole primary
	// e-mail; with SearchEmails part of the e-mail too. Only administrators
	// may search e-mails, as in GitLab: everyone else could otherwise
	// guess private addresses letter by letter.
	Search       string
	SearchEmails bool
	Username     string
	Page         Page
}

// Users lists users by ID, with the total count.
func (s *Store) Users(ctx context.Context, f UserFilter) ([]model.User, int, error) {
	where, args := "1=1", []any{}
	if f.Search != "" {
		like := "%" + likeEscape(strings.ToLower(f.Search)) + "%"
		email := "lower(email) = lower(?)"
		args = append(args, like, like, f.Search)
		if f.SearchEmails {
			email = `lower(email) LIKE ? ESCAPE '\'`
			args[2] = like
		}
		where += ` AND (lower(username) LIKE ? ESCAPE '\' OR lower(name) LIKE ? ESCAPE '\' OR ` + email + ")"
	}
	if f.Username != "" {
		where += " AND lower(username) = lower(?)"
		args = append(args, f.Username)
	}
	var total int
	if err := s.get(ctx, &total, nil, `SELECT COUNT(*) FROM users WHERE `+where, args...); err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	users := []model.User{}
	err := s.sel(ctx, &users, `SELECT `+userColumns+` FROM users WHERE `+where+` ORDER BY id LIMIT ? OFFSET ?`,
		append(args, f.Page.PerPage, f.Page.Offset())...)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return users, total, nil
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	return n, s.get(ctx, &n, nil, `SELECT COUNT(*) FROM users`)
}

// UpdateUserProfile changes a user's display name.
func (s *Store) UpdateUserProfile(ctx context.Context, id int64, name string) error {
	defer s.forgetAuth()
	return s.exec(ctx, errUserNotFound, `UPDATE users SET name = ?, updated_at = ? WHERE id = ?`, name, s.Now(), id)
}

// SetUserPassword stores a new password hash.
func (s *Store) SetUserPassword(ctx context.Context, id int64, hash string) error {
	defer s.forgetAuth()
	return s.exec(ctx, errUserNotFound, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, s.Now(), id)
}

// SetUserAdmin grants or removes administrator rights.
func (s *Store) SetUserAdmin(ctx context.Context, id int64, admin bool) error {
	defer s.forgetAuth()
	return s.exec(ctx, errUserNotFound, `UPDATE users SET admin = ?, updated_at = ? WHERE id = ?`, admin, s.Now(), id)
}

// SetUserState blocks or unblocks a user. Blocking ends the user's
// sessions for good: unblocking later signs no old cookie in again.
func (s *Store) SetUserState(ctx context.Context, id int64, state string) error {
	defer s.forgetAuth()
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET state = ?, updated_at = ? WHERE id = ?`), state, s.Now(), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return errUserNotFound
		}
		if state == model.UserActive {
			return nil
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM sessions WHERE user_id = ?`), id)
		return err
	})
}

// exec runs one write statement; no row affected means notFound.
func (s *Store) exec(ctx context.Context, notFound error, query string, args ...any) error {
	res, err := s.w.ExecContext(ctx, s.w.Rebind(query), args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 && notFound != nil {
		return notFound
	}
	return nil
}

// RegisterUser validates a new account, hashes its password and stores it.
func (s *Store) RegisterUser(ctx context.Context, in model.NewUserInput) (*model.User, error) {
	// A taken username or address is reported with the other failures,
	// so fixing them does not reveal a new one; the unique index still
	// decides a race.
	v := &model.ValidationError{}
	if err := in.Validate(); err != nil {
		var ok bool
		if v, ok = model.AsValidation(err); !ok {
			return nil, err
		}
	}
	if err := s.addTaken(ctx, v, in); err != nil {
		return nil, err
	}
	if !v.Empty() {
		return nil, v
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	u := &model.User{Username: in.Username, Name: in.Name, Email: in.Email, PasswordHash: hash, Admin: in.Admin}
	if err := s.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}
