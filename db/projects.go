package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hooklab/hooklab/model"
)

const projectColumns = `p.id, p.group_id, p.name, p.path, p.full_path, p.full_name, p.description, p.default_branch, p.created_at`

var errProjectNotFound = model.NotFound("Project")

// CreateProject stores a project in its group. When creatorID is non-zero
// and the creator has no inherited owner rights, they become its maintainer.
func (s *Store) CreateProject(ctx context.Context, p *model.Project, creatorID int64) error {
	p.CreatedAt = s.Now()
	if p.DefaultBranch == "" {
		p.DefaultBranch = "main"
	}
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		var g model.Group
		if err := tx.GetContext(ctx, &g, tx.Rebind(`SELECT `+groupColumns+` FROM groups g WHERE id = ?`), p.GroupID); err != nil {
			return errGroupNotFound
		}
		p.FullPath, p.FullName = g.FullPath+"/"+p.Path, g.FullName+" / "+p.Name
		err := tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO projects
			(group_id, name, path, full_path, full_name, description, default_branch, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			p.GroupID, p.Name, p.Path, p.FullPath, p.FullName, p.Description, p.DefaultBranch, p.CreatedAt).Scan(&p.ID)
		if err != nil {
			return fmt.Errorf("create project: %w", err)
		}
		if err := addRoute(ctx, tx, p.FullPath, model.SourceProject, p.ID); err != nil {
			return err
		}
		if creatorID == 0 {
			return nil
		}
		level, err := groupAccessTx(ctx, tx, creatorID, p.GroupID)
		if err != nil || level >= model.Maintainer {
			return err
		}
		return insertMember(ctx, tx, &model.Member{SourceType: model.SourceProject, SourceID: p.ID,
			UserID: &creatorID, AccessLevel: model.Maintainer, CreatedByID: &creatorID,
			CreatedAt: p.CreatedAt, UpdatedAt: p.CreatedAt, InviteEmailSuccess: true})
	})
}

// Project returns a project by ID.
func (s *Store) Project(ctx context.Context, id int64) (*model.Project, error) {
	var p model.Project
	return &p, s.get(ctx, &p, errProjectNotFound, `SELECT `+projectColumns+` FROM projects p WHERE id = ?`, id)
}

// ProjectByPath returns a project by full path (case-insensitive).
func (s *Store) ProjectByPath(ctx context.Context, fullPath string) (*model.Project, error) {
	var p model.Project
	return &p, s.get(ctx, &p, errProjectNotFound, `SELECT `+projectColumns+` FROM projects p WHERE lower(full_path) = lower(?)`, fullPath)
}

// ProjectFilter narrows a project list.
type ProjectFilter struct {
	VisibleTo int64 // 0: all (administrators)
	// GroupIDs limits to projects directly in these groups.
	GroupIDs []int64
	// Search matches the name and path; with SearchNamespaces the full path
	// too (GitLab's search_namespaces).
	Search           string
	SearchNamespaces bool
	// Access, when its User is set, keeps the projects where that user's
	// effective level (a project membership, or through its group and the
	// group's ancestors) is at least MinLevel, or with Owned, Owner.
	Access AccessFilter
	// None selects nothing (a visibility no project has).
	None bool
	// Order is the sort column ("" keeps the full path order) and Desc its
	// direction.
	Order ProjectOrder
	Desc  bool
	Page  Page
}

// ProjectOrder is a column projects are listed by.
type ProjectOrder string

// Project orders the store knows; the API maps GitLab's others onto them.
const (
	ProjectByID        ProjectOrder = "id"
	ProjectByName      ProjectOrder = "name"
	ProjectByPath      ProjectOrder = "path"
	ProjectByCreatedAt ProjectOrder = "created_at"
)

// projectAccessCTE extends groupAccessCTE to projects: a project's rows
// are the user's project membership and their levels in its group.
const projectAccessCTE = groupAccessCTE + `,
	pl(id, lvl) AS (
		SELECT source_id, access_level FROM members WHERE user_id = :me AND source_type = 'Project'
		UNION ALL SELECT projects.id, gl.lvl FROM projects JOIN gl ON projects.group_id = gl.id)`

// visibleProjectsSQL selects the IDs of projects a user can see: their own
// memberships and everything under groups they are members of.
const visibleProjectsSQL = `WITH RECURSIVE ` + visibleProjectsCTE

const visibleProjectsCTE = `
	mg(id) AS (SELECT source_id FROM members WHERE user_id = :uid AND source_type = 'Namespace'
		UNION SELECT groups.id FROM groups JOIN mg ON groups.parent_id = mg.id),
	vp(id) AS (SELECT id FROM projects WHERE group_id IN (SELECT id FROM mg)
		UNION SELECT source_id FROM members WHERE user_id = :uid AND source_type = 'Project')`

// Projects lists projects by full path with the total count.
func (s *Store) Projects(ctx context.Context, f ProjectFilter) ([]model.Project, int, error) {
	if f.None {
		return []model.Project{}, 0, nil
	}
	var visible, access string
	where := []string{"1=1"}
	args := map[string]any{"uid": f.VisibleTo}
	if f.VisibleTo != 0 {
		visible = visibleProjectsCTE
		where = append(where, "p.id IN (SELECT id FROM vp)")
	}
	if a := f.Access; a.User != 0 {
		access = projectAccessCTE
		args["me"] = a.User
		where = append(where, "p.id IN (SELECT id FROM pl GROUP BY id HAVING MAX(lvl) >= :min)")
		args["min"] = max(a.MinLevel, model.Guest)
		if a.Owned {
			args["min"] = model.Owner
		}
	}
	cte := withCTEs(visible, access)
	if f.GroupIDs != nil {
		if len(f.GroupIDs) == 0 {
			return []model.Project{}, 0, nil
		}
		where = append(where, "p.group_id IN (:groups)")
		args["groups"] = f.GroupIDs
	}
	if f.Search != "" {
		if f.SearchNamespaces {
			where = append(where, `(lower(p.name) LIKE :q ESCAPE '\' OR lower(p.full_path) LIKE :q ESCAPE '\' OR lower(p.full_name) LIKE :q ESCAPE '\')`)
		} else {
			where = append(where, `(lower(p.name) LIKE :q ESCAPE '\' OR lower(p.path) LIKE :q ESCAPE '\')`)
		}
		args["q"] = "%" + likeEscape(strings.ToLower(f.Search)) + "%"
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := s.named(ctx, &total, true, cte+` SELECT COUNT(*) FROM projects p WHERE `+w, args); err != nil {
		return nil, 0, fmt.Errorf("count projects: %w", err)
	}
	args["limit"], args["offset"] = f.Page.PerPage, f.Page.Offset()
	out := []model.Project{}
	order := "lower(p.full_path)"
	switch f.Order {
	case ProjectByID:
		order = "p.id"
	case ProjectByName:
		order = "lower(p.name)"
	case ProjectByPath:
		order = "lower(p.path)"
	case ProjectByCreatedAt:
		order = "p.created_at"
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	order += dir + ", p.id" + dir
	if err := s.named(ctx, &out, false, cte+` SELECT `+projectColumns+` FROM projects p WHERE `+w+` ORDER BY `+order+` LIMIT :limit OFFSET :offset`, args); err != nil {
		return nil, 0, fmt.Errorf("list projects: %w", err)
	}
	return out, total, nil
}

// ProjectIDsUnderGroup returns the IDs of the projects in a group and all
// its subgroups (Test of a group hook takes its sample from any of them).
func (s *Store) ProjectIDsUnderGroup(ctx context.Context, groupID int64) ([]int64, error) {
	out := []int64{}
	err := s.sel(ctx, &out, `WITH RECURSIVE down(id) AS (
			SELECT id FROM groups WHERE id = ?
			UNION ALL SELECT groups.id FROM groups JOIN down ON groups.parent_id = down.id)
		SELECT p.id FROM projects p WHERE p.group_id IN (SELECT id FROM down) ORDER BY p.id`, groupID)
	return out, err
}

// ProjectIDsOfMember returns the IDs of the projects a user is a member
// of, directly or through a group (a system hook's Test of merge request
// events takes its sample from them, as GitLab's does).
func (s *Store) ProjectIDsOfMember(ctx context.Context, userID int64) ([]int64, error) {
	out := []int64{}
	err := s.named(ctx, &out, false, visibleProjectsSQL+` SELECT id FROM vp ORDER BY id`, map[string]any{"uid": userID})
	return out, err
}
