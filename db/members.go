package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

const memberColumns = `m.id, m.source_type, m.source_id, m.user_id, m.access_level, m.invite_email,
	m.invite_email_success, m.invite_failure, m.created_by_id, m.created_at, m.updated_at, m.expires_at,
	COALESCE(u.username, '') AS username, COALESCE(u.name, '') AS name, COALESCE(u.state, '') AS state,
	COALESCE(cb.username, '') AS created_by_username, COALESCE(cb.name, '') AS created_by_name,
	COALESCE(cb.state, '') AS created_by_state`

// memberFrom joins a membership to its user and its creator.
const memberFrom = ` FROM members m LEFT JOIN users u ON u.id = m.user_id LEFT JOIN users cb ON cb.id = m.created_by_id `

var errMemberNotFound = model.NotFound("Member")

func insertMember(ctx context.Context, tx *sqlx.Tx, m *model.Member) error {
	err := tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO members
		(source_type, source_id, user_id, access_level, invite_email, invite_email_success, created_by_id, created_at, updated_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		m.SourceType, m.SourceID, m.UserID, m.AccessLevel, m.InviteEmail, m.InviteEmailSuccess,
		m.CreatedByID, m.CreatedAt, m.UpdatedAt, m.ExpiresAt).Scan(&m.ID)
	if isUniqueViolation(err) {
		return model.Conflict("Member already exists")
	}
	return err
}

// AddMember gives an existing user access to a group or project.
func (s *Store) AddMember(ctx context.Context, m *model.Member) error {
	now := s.Now()
	m.CreatedAt, m.UpdatedAt, m.InviteEmailSuccess = now, now, true
	return s.tx(ctx, func(tx *sqlx.Tx) error { return insertMember(ctx, tx, m) })
}

// CreateInvite stores a pending invite for an e-mail address; only the
// digest of the raw invite token is kept.
func (s *Store) CreateInvite(ctx context.Context, m *model.Member, rawToken string) error {
	now := s.Now()
	m.CreatedAt, m.UpdatedAt, m.InviteEmailSuccess, m.UserID = now, now, true, nil
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		if err := insertMember(ctx, tx, m); err != nil {
			if errors.Is(err, model.ErrConflict) {
				return model.Conflict("Invite email has already been taken")
			}
			return err
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE members SET invite_token_digest = ? WHERE id = ?`), Digest(rawToken), m.ID)
		return err
	})
}

// ResetInvite gives a pending invite a new token and clears its failure,
// for "Resend invite".
func (s *Store) ResetInvite(ctx context.Context, id int64, rawToken string) error {
	return s.exec(ctx, errMemberNotFound, `UPDATE members SET invite_token_digest = ?, invite_email_success = TRUE,
		invite_failure = '', updated_at = ? WHERE id = ? AND user_id IS NULL`, Digest(rawToken), s.Now(), id)
}

// Members lists the direct members and pending invites of a source.
func (s *Store) Members(ctx context.Context, sourceType string, sourceID int64) ([]model.Member, error) {
	out := []model.Member{}
	err := s.sel(ctx, &out, `SELECT `+memberColumns+memberFrom+`
		WHERE m.source_type = ? AND m.source_id = ? ORDER BY m.user_id IS NULL, m.access_level DESC, lower(COALESCE(u.username, m.invite_email))`,
		sourceType, sourceID)
	return out, err
}

// Member returns one direct member by user.
func (s *Store) Member(ctx context.Context, sourceType string, sourceID, userID int64) (*model.Member, error) {
	var m model.Member
	return &m, s.get(ctx, &m, errMemberNotFound, `SELECT `+memberColumns+memberFrom+`
		WHERE m.source_type = ? AND m.source_id = ? AND m.user_id = ?`, sourceType, sourceID, userID)
}

// MemberByID returns one membership or invite of a source.
func (s *Store) MemberByID(ctx context.Context, sourceType string, sourceID, id int64) (*model.Member, error) {
	var m model.Member
	return &m, s.get(ctx, &m, errMemberNotFound, `SELECT `+memberColumns+memberFrom+`
		WHERE m.source_type = ? AND m.source_id = ? AND m.id = ?`, sourceType, sourceID, id)
}

// InviteByToken returns the pending invite holding a raw token.
func (s *Store) InviteByToken(ctx context.Context, rawToken string) (*model.Member, error) {
	var m model.Member
	return &m, s.get(ctx, &m, model.NotFound("Invitation"), `SELECT `+memberColumns+memberFrom+`
		WHERE m.invite_token_digest = ? AND m.user_id IS NULL`, Digest(rawToken))
}

// AcceptInvite turns a pending invite into the user's membership. If the
// user already is a direct member, the higher level is kept.
func (s *Store) AcceptInvite(ctx context.Context, inviteID, userID int64) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		var inv model.Member
		err := tx.GetContext(ctx, &inv, tx.Rebind(`SELECT `+memberColumns+memberFrom+` WHERE m.id = ? AND m.user_id IS NULL`), inviteID)
		if errors.Is(err, sql.ErrNoRows) {
			return model.NotFound("Invitation")
		}
		if err != nil {
			return err
		}
		var existing model.AccessLevel
		err = tx.GetContext(ctx, &existing, tx.Rebind(`SELECT access_level FROM members WHERE source_type = ? AND source_id = ? AND user_id = ?`),
			inv.SourceType, inv.SourceID, userID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE members SET user_id = ?, invite_token_digest = NULL, updated_at = ? WHERE id = ?`), userID, s.Now(), inviteID)
			return err
		case err != nil:
			return err
		}
		if inv.AccessLevel > existing {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE members SET access_level = ?, updated_at = ? WHERE source_type = ? AND source_id = ? AND user_id = ?`),
				inv.AccessLevel, s.Now(), inv.SourceType, inv.SourceID, userID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM members WHERE id = ?`), inviteID)
		return err
	})
}

// MarkInviteEmailFailed records that the invite e-mail holding rawToken
// bounced permanently. It reports whether a pending invite matched.
func (s *Store) MarkInviteEmailFailed(ctx context.Context, rawToken, reason string) (bool, error) {
	var ok bool
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		ok, err = markInviteEmailFailed(ctx, tx, rawToken, reason, s.Now())
		return err
	})
	return ok, err
}

// markInviteEmailFailed is MarkInviteEmailFailed inside a transaction (the
// Mailgun receiver records the failure and marks the invite together).
func markInviteEmailFailed(ctx context.Context, tx *sqlx.Tx, rawToken, reason string, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE members SET invite_email_success = FALSE, invite_failure = ?, updated_at = ?
		WHERE invite_token_digest = ? AND user_id IS NULL`), reason, now, Digest(rawToken))
	if err != nil {
		return false, fmt.Errorf("mark invite failed: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// UpdateMemberAccess changes a direct membership's level.
func (s *Store) UpdateMemberAccess(ctx context.Context, id int64, level model.AccessLevel) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		if level < model.Owner {
			if err := s.keepAnOwner(ctx, tx, id); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE members SET access_level = ?, updated_at = ? WHERE id = ?`), level, s.Now(), id)
		return err
	})
}

// UpdateMember changes a direct membership's level and expiry (nil: none).
// Lowering the last owner of a group is refused.
func (s *Store) UpdateMember(ctx context.Context, id int64, level model.AccessLevel, expiresAt *time.Time) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		if level < model.Owner {
			if err := s.keepAnOwner(ctx, tx, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE members SET access_level = ?, expires_at = ?, updated_at = ? WHERE id = ?`),
			level, expiresAt, s.Now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errMemberNotFound
		}
		return nil
	})
}

// RemoveMember deletes a membership or invite.
func (s *Store) RemoveMember(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		if err := s.keepAnOwner(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM members WHERE id = ?`), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errMemberNotFound
		}
		return nil
	})
}

// keepAnOwner refuses to take away the last owner of a group: someone must
// be able to administer it (directly or through an ancestor).
func (s *Store) keepAnOwner(ctx context.Context, tx *sqlx.Tx, memberID int64) error {
	var m model.Member
	err := tx.GetContext(ctx, &m, tx.Rebind(`SELECT `+memberColumns+memberFrom+` WHERE m.id = ?`), memberID)
	if errors.Is(err, sql.ErrNoRows) {
		return errMemberNotFound
	}
	if err != nil || m.SourceType != model.SourceGroup || m.AccessLevel < model.Owner || m.UserID == nil {
		return err
	}
	var others int
	err = tx.GetContext(ctx, &others, tx.Rebind(`WITH RECURSIVE up(id) AS (
			SELECT id FROM groups WHERE id = ?
			UNION ALL SELECT groups.parent_id FROM groups JOIN up ON groups.id = up.id WHERE groups.parent_id IS NOT NULL)
		SELECT COUNT(*) FROM members WHERE source_type = 'Namespace' AND source_id IN (SELECT id FROM up)
			AND access_level >= 50 AND user_id IS NOT NULL AND id <> ?`), m.SourceID, memberID)
	if err != nil {
		return err
	}
	if others == 0 {
		return model.Forbidden("A group must have at least one owner")
	}
	return nil
}

// GroupAccess returns a user's effective level in a group: the highest of
// their memberships in it and its ancestors.
func (s *Store) GroupAccess(ctx context.Context, userID, groupID int64) (model.AccessLevel, error) {
	var level model.AccessLevel
	err := s.r.GetContext(ctx, &level, s.r.Rebind(groupAccessSQL), groupID, userID)
	return level, err
}

const groupAccessSQL = `WITH RECURSIVE up(id) AS (
		SELECT id FROM groups WHERE id = ?
		UNION ALL SELECT groups.parent_id FROM groups JOIN up ON groups.id = up.id WHERE groups.parent_id IS NOT NULL)
	SELECT COALESCE(MAX(access_level), 0) FROM members
	WHERE source_type = 'Namespace' AND source_id IN (SELECT id FROM up) AND user_id = ?`

func groupAccessTx(ctx context.Context, tx *sqlx.Tx, userID, groupID int64) (model.AccessLevel, error) {
	var level model.AccessLevel
	err := tx.GetContext(ctx, &level, tx.Rebind(groupAccessSQL), groupID, userID)
	return level, err
}

// ProjectAccess returns a user's effective level in a project: the highest
// of their project membership and their access to its group.
func (s *Store) ProjectAccess(ctx context.Context, userID int64, p *model.Project) (model.AccessLevel, error) {
	level, err := s.GroupAccess(ctx, userID, p.GroupID)
	if err != nil {
		return 0, err
	}
	var direct model.AccessLevel
	err = s.r.GetContext(ctx, &direct, s.r.Rebind(`SELECT COALESCE(MAX(access_level), 0) FROM members
		WHERE source_type = 'Project' AND source_id = ? AND user_id = ?`), p.ID, userID)
	return max(level, direct), err
}

// HasDescendantMembership reports whether the user is a member of any
// subgroup or project below the group, which lets them see the group's
// name in a breadcrumb without having access to it.
func (s *Store) HasDescendantMembership(ctx context.Context, userID, groupID int64) (bool, error) {
	var n int
	err := s.r.GetContext(ctx, &n, s.r.Rebind(`WITH RECURSIVE down(id) AS (
			SELECT id FROM groups WHERE id = ?
			UNION ALL SELECT groups.id FROM groups JOIN down ON groups.parent_id = down.id)
		SELECT COUNT(*) FROM members WHERE user_id = ? AND (
			(source_type = 'Namespace' AND source_id IN (SELECT id FROM down))
			OR (source_type = 'Project' AND source_id IN (SELECT id FROM projects WHERE group_id IN (SELECT id FROM down))))`), groupID, userID)
	return n > 0, err
}

// AllMembers lists who has access to a group or project through a
// membership: its direct members and the members of its ancestor groups
// (for a project: of its group and that group's ancestors). Each user
// appears once, with their highest level; on a tie the nearest membership
// wins, the direct one first. Pending invites are not included. Each
// entry's SourceName and SourcePath say where the membership lives.
func (s *Store) AllMembers(ctx context.Context, sourceType string, sourceID int64) ([]model.Member, error) {
	var found []model.Member
	groupID := sourceID
	if sourceType == model.SourceProject {
		direct := []model.Member{}
		err := s.sel(ctx, &direct, `SELECT `+memberColumns+`, p.full_name AS source_name, p.full_path AS source_path`+memberFrom+`
			JOIN projects p ON p.id = m.source_id
			WHERE m.source_type = 'Project' AND m.source_id = ? AND m.user_id IS NOT NULL`, sourceID)
		if err != nil {
			return nil, fmt.Errorf("list project members: %w", err)
		}
		found = direct
		if err := s.get(ctx, &groupID, errProjectNotFound, `SELECT group_id FROM projects WHERE id = ?`, sourceID); err != nil {
			return nil, err
		}
	}
	chain := []model.Member{}
	err := s.sel(ctx, &chain, `WITH RECURSIVE up(id, depth) AS (
			SELECT id, 0 FROM groups WHERE id = ?
			UNION ALL SELECT groups.parent_id, up.depth + 1 FROM groups JOIN up ON groups.id = up.id WHERE groups.parent_id IS NOT NULL)
		SELECT `+memberColumns+`, g.full_name AS source_name, g.full_path AS source_path`+memberFrom+`
			JOIN up ON m.source_type = 'Namespace' AND m.source_id = up.id
			JOIN groups g ON g.id = m.source_id
		WHERE m.user_id IS NOT NULL ORDER BY up.depth`, groupID)
	if err != nil {
		return nil, fmt.Errorf("list inherited members: %w", err)
	}
	found = append(found, chain...)

	best := map[int64]int{}
	out := []model.Member{}
	for _, m := range found {
		uid := *m.UserID
		i, seen := best[uid]
		switch {
		case !seen:
			best[uid] = len(out)
			out = append(out, m)
		case m.AccessLevel > out[i].AccessLevel:
			out[i] = m
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].AccessLevel != out[j].AccessLevel {
			return out[i].AccessLevel > out[j].AccessLevel
		}
		return strings.ToLower(out[i].Username) < strings.ToLower(out[j].Username)
	})
	return out, nil
}

// InheritedAccess returns the highest level a user holds in the groups a
// source inherits from (a group's ancestors; a project's group and its
// ancestors) and the name of the group that grants it (nearest on a tie).
// It is NoAccess when nothing is inherited.
func (s *Store) InheritedAccess(ctx context.Context, userID int64, sourceType string, sourceID int64) (model.AccessLevel, string, error) {
	var start *int64
	var err error
	if sourceType == model.SourceProject {
		err = s.get(ctx, &start, errProjectNotFound, `SELECT group_id FROM projects WHERE id = ?`, sourceID)
	} else {
		err = s.get(ctx, &start, errGroupNotFound, `SELECT parent_id FROM groups WHERE id = ?`, sourceID)
	}
	if err != nil || start == nil {
		return model.NoAccess, "", err
	}
	var row struct {
		Level model.AccessLevel `db:"access_level"`
		Name  string            `db:"name"`
	}
	err = s.r.GetContext(ctx, &row, s.r.Rebind(`WITH RECURSIVE up(id, depth) AS (
			SELECT id, 0 FROM groups WHERE id = ?
			UNION ALL SELECT groups.parent_id, up.depth + 1 FROM groups JOIN up ON groups.id = up.id WHERE groups.parent_id IS NOT NULL)
		SELECT m.access_level, g.name FROM members m
			JOIN up ON m.source_type = 'Namespace' AND m.source_id = up.id
			JOIN groups g ON g.id = up.id
		WHERE m.user_id = ? ORDER BY m.access_level DESC, up.depth LIMIT 1`), *start, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return model.NoAccess, "", nil
	}
	if err != nil {
		return model.NoAccess, "", fmt.Errorf("inherited access: %w", err)
	}
	return row.Level, row.Name, nil
}
