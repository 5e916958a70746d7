package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

const groupColumns = `g.id, g.parent_id, g.name, g.path, g.full_path, g.full_name, g.description, g.created_at`

var errGroupNotFound = model.NotFound("Group")

// CreateGroup stores a group under parentID (nil for top level). When
// ownerID is non-zero that user becomes the group's owner, as the creator
// does in GitLab.
func (s *Store) CreateGroup(ctx context.Context, g *model.Group, ownerID int64) error {
	g.CreatedAt = s.Now()
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		g.FullPath, g.FullName = g.Path, g.Name
		if g.ParentID != nil {
			var p model.Group
			err := tx.GetContext(ctx, &p, tx.Rebind(`SELECT `+groupColumns+` FROM groups g WHERE id = ?`), *g.ParentID)
			if err != nil {
				return errGroupNotFound
			}
			g.FullPath, g.FullName = p.FullPath+"/"+g.Path, p.FullName+" / "+g.Name
		}
		err := tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO groups
			(parent_id, name, path, full_path, full_name, description, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			g.ParentID, g.Name, g.Path, g.FullPath, g.FullName, g.Description, g.CreatedAt).Scan(&g.ID)
		if err != nil {
			return fmt.Errorf("create group: %w", err)
		}
		if err := addRoute(ctx, tx, g.FullPath, model.SourceGroup, g.ID); err != nil {
			return err
		}
		if ownerID != 0 {
			return insertMember(ctx, tx, &model.Member{SourceType: model.SourceGroup, SourceID: g.ID,
				UserID: &ownerID, AccessLevel: model.Owner, CreatedByID: &ownerID, CreatedAt: g.CreatedAt, UpdatedAt: g.CreatedAt,
				InviteEmailSuccess: true})
		}
		return nil
	})
}

// addRoute claims a full path in the shared group/project path space.
func addRoute(ctx context.Context, tx *sqlx.Tx, path, sourceType string, id int64) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO routes (path, source_type, source_id) VALUES (?, ?, ?)`), path, sourceType, id)
	if isUniqueViolation(err) {
		v := &model.ValidationError{}
		v.Add("path", "has already been taken")
		return v
	}
	return err
}

// Group returns a group by ID.
func (s *Store) Group(ctx context.Context, id int64) (*model.Group, error) {
	var g model.Group
	return &g, s.get(ctx, &g, errGroupNotFound, `SELECT `+groupColumns+` FROM groups g WHERE id = ?`, id)
}

// GroupByPath returns a group by full path (case-insensitive).
func (s *Store) GroupByPath(ctx context.Context, fullPath string) (*model.Group, error) {
	var g model.Group
	return &g, s.get(ctx, &g, errGroupNotFound, `SELECT `+groupColumns+` FROM groups g WHERE lower(full_path) = lower(?)`, fullPath)
}

// GroupAncestors returns the group's ancestors, the root first, without the
// group itself.
func (s *Store) GroupAncestors(ctx context.Context, id int64) ([]model.Group, error) {
	out := []model.Group{}
	err := s.sel(ctx, &out, `WITH RECURSIVE up(id, depth) AS (
			SELECT parent_id, 1 FROM groups WHERE id = ? AND parent_id IS NOT NULL
			UNION ALL SELECT groups.parent_id, up.depth + 1 FROM groups JOIN up ON groups.id = up.id WHERE groups.parent_id IS NOT NULL)
		SELECT `+groupColumns+` FROM groups g JOIN up ON g.id = up.id ORDER BY up.depth DESC`, id)
	return out, err
}

// GroupSelfAndAncestorIDs returns the group's ID and its ancestors' IDs.
func (s *Store) GroupSelfAndAncestorIDs(ctx context.Context, id int64) ([]int64, error) {
	out := []int64{}
	err := s.sel(ctx, &out, `WITH RECURSIVE up(id) AS (
			SELECT id FROM groups WHERE id = ?
			UNION ALL SELECT groups.parent_id FROM groups JOIN up ON groups.id = up.id WHERE groups.parent_id IS NOT NULL)
		SELECT id FROM up`, id)
	return out, err
}

// GroupSelfAndDescendantIDs returns the group's ID and all its subgroups' IDs.
func (s *Store) GroupSelfAndDescendantIDs(ctx context.Context, id int64) ([]int64, error) {
	out := []int64{}
	err := s.sel(ctx, &out, `WITH RECURSIVE down(id) AS (
			SELECT id FROM groups WHERE id = ?
			UNION ALL SELECT groups.id FROM groups JOIN down ON groups.parent_id = down.id)
		SELECT id FROM down`, id)
	return out, err
}

// GroupFilter narrows a group list.
type GroupFilter struct {
	// VisibleTo limits the list to groups the user can see; 0 means all
	// (administrators).
	VisibleTo int64
	ParentID  *int64
	// DescendantsOf, when not 0, keeps the groups below that group, at any
	// depth.
	DescendantsOf int64
	TopLevel      bool
	// Search matches the name, and the full path and full name, so that
	// "acme" finds acme/platform (GitLab matches a group's route).
	Search string
	// Access, when its User is set, keeps the groups where that user has
	// at least MinLevel (through a membership here or in an ancestor), or
	// with Owned, where they are a direct owner (GitLab's owned_groups).
	Access AccessFilter
	// SkipIDs leaves these groups out.
	SkipIDs []int64
	// Order is the sort column ("" keeps the full path order) and Desc its
	// direction.
	Order GroupOrder
	Desc  bool
	Page  Page
}

// AccessFilter narrows a group or project list to one user's access.
type AccessFilter struct {
	User     int64
	MinLevel model.AccessLevel
	Owned    bool
}

// GroupOrder is a column groups are listed by.
type GroupOrder string

// Group orders GitLab's API offers (similarity is ordered by name).
const (
	GroupByName GroupOrder = "name"
	GroupByPath GroupOrder = "path"
	GroupByID   GroupOrder = "id"
)

// groupAccessCTE computes, for user :me, an access level for every group
// they reach through a membership: the membership's group and all its
// descendants (a group's effective level is the highest of its rows).
const groupAccessCTE = `gl(id, lvl) AS (
		SELECT source_id, access_level FROM members WHERE user_id = :me AND source_type = 'Namespace'
		UNION ALL SELECT groups.id, gl.lvl FROM groups JOIN gl ON groups.parent_id = gl.id)`

// withCTEs joins common table expressions into one WITH RECURSIVE clause.
func withCTEs(ctes ...string) string {
	var parts []string
	for _, c := range ctes {
		if c != "" {
			parts = append(parts, c)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "WITH RECURSIVE " + strings.Join(parts, ",\n") + " "
}

// visibleGroupsSQL selects the IDs of groups a user can see: those where
// they have access (membership here or in an ancestor) and the ancestors of
// groups and projects they are a member of.
const visibleGroupsSQL = `WITH RECURSIVE ` + visibleGroupsCTE

const visibleGroupsCTE = `
	direct(id) AS (
		SELECT source_id FROM members WHERE user_id = :uid AND source_type = 'Namespace'
		UNION SELECT group_id FROM projects WHERE id IN (SELECT source_id FROM members WHERE user_id = :uid AND source_type = 'Project')),
	down(id) AS (SELECT id FROM direct UNION SELECT groups.id FROM groups JOIN down ON groups.parent_id = down.id),
	up(id) AS (SELECT id FROM direct UNION SELECT groups.parent_id FROM groups JOIN up ON groups.id = up.id WHERE groups.parent_id IS NOT NULL),
	visible(id) AS (SELECT id FROM down UNION SELECT id FROM up)`

// Groups lists groups by full path with the total count.
func (s *Store) Groups(ctx context.Context, f GroupFilter) ([]model.Group, int, error) {
	var visible, access string
	where := []string{"1=1"}
	args := map[string]any{"uid": f.VisibleTo}
	if f.VisibleTo != 0 {
		visible = visibleGroupsCTE
		where = append(where, "g.id IN (SELECT id FROM visible)")
	}
	if a := f.Access; a.User != 0 {
		args["me"] = a.User
		if a.Owned {
			where = append(where, "g.id IN (SELECT source_id FROM members WHERE user_id = :me AND source_type = 'Namespace' AND access_level = :owner)")
			args["owner"] = model.Owner
		} else {
			access = groupAccessCTE
			where = append(where, "g.id IN (SELECT id FROM gl GROUP BY id HAVING MAX(lvl) >= :min)")
			args["min"] = max(a.MinLevel, model.Guest)
		}
	}
	if len(f.SkipIDs) > 0 {
		where = append(where, "g.id NOT IN (:skip)")
		args["skip"] = f.SkipIDs
	}
	if f.ParentID != nil {
		where = append(where, "g.parent_id = :parent")
		args["parent"] = *f.ParentID
	}
	if f.TopLevel {
		where = append(where, "g.parent_id IS NULL")
	}
	var below string
	if f.DescendantsOf != 0 {
		below = `below(id) AS (SELECT id FROM groups WHERE parent_id = :ancestor
		UNION ALL SELECT groups.id FROM groups JOIN below ON groups.parent_id = below.id)`
		where = append(where, "g.id IN (SELECT id FROM below)")
		args["ancestor"] = f.DescendantsOf
	}
	cte := withCTEs(visible, access, below)
	if f.Search != "" {
		where = append(where, `(lower(g.name) LIKE :q ESCAPE '\' OR lower(g.full_path) LIKE :q ESCAPE '\' OR lower(g.full_name) LIKE :q ESCAPE '\')`)
		args["q"] = "%" + likeEscape(strings.ToLower(f.Search)) + "%"
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := s.named(ctx, &total, true, cte+` SELECT COUNT(*) FROM groups g WHERE `+w, args); err != nil {
		return nil, 0, fmt.Errorf("count groups: %w", err)
	}
	args["limit"], args["offset"] = f.Page.PerPage, f.Page.Offset()
	out := []model.Group{}
	order := "lower(g.full_path)"
	switch f.Order {
	case GroupByName:
		order = "lower(g.name)"
	case GroupByPath:
		order = "lower(g.path)"
	case GroupByID:
		order = "g.id"
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	order += dir + ", g.id" + dir
	if err := s.named(ctx, &out, false, cte+` SELECT `+groupColumns+` FROM groups g WHERE `+w+` ORDER BY `+order+` LIMIT :limit OFFSET :offset`, args); err != nil {
		return nil, 0, fmt.Errorf("list groups: %w", err)
	}
	return out, total, nil
}

// named runs a query with :named arguments into dst (one row when single).
func (s *Store) named(ctx context.Context, dst any, single bool, query string, args map[string]any) error {
	q, a, err := sqlx.Named(query, args)
	if err != nil {
		return err
	}
	q, a, err = sqlx.In(q, a...)
	if err != nil {
		return err
	}
	q = s.r.Rebind(q)
	if single {
		return s.r.GetContext(ctx, dst, q, a...)
	}
	return s.r.SelectContext(ctx, dst, q, a...)
}
