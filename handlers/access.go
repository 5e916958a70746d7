package handlers

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
)

// projectAccess finds a project by numeric ID or full path and the current
// user's level in it. A project the user cannot see is "not found", never
// "forbidden", so its existence is not revealed.
func (h *Handler) projectAccess(c echo.Context, ref string) (*model.Project, model.AccessLevel, error) {
	ctx := h.ctx(c)
	var p *model.Project
	var err error
	if id, convErr := strconv.ParseInt(ref, 10, 64); convErr == nil {
		p, err = h.store.Project(ctx, id)
	} else {
		p, err = h.store.ProjectByPath(ctx, ref)
	}
	if err != nil {
		return nil, 0, err
	}
	u := user(c)
	if u == nil {
		return nil, 0, model.NotFound("Project")
	}
	if u.Admin {
		return p, model.AdminAccess, nil
	}
	level, err := h.store.ProjectAccess(ctx, u.ID, p)
	if err != nil {
		return nil, 0, err
	}
	if level < model.Guest {
		return nil, 0, model.NotFound("Project")
	}
	return p, level, nil
}

// groupAccess finds a group by numeric ID or full path and the current
// user's level in it. A user who is a member only below the group may see
// it (level 0, visible); anyone else gets "not found".
func (h *Handler) groupAccess(c echo.Context, ref string) (*model.Group, model.AccessLevel, error) {
	ctx := h.ctx(c)
	var g *model.Group
	var err error
	if id, convErr := strconv.ParseInt(ref, 10, 64); convErr == nil {
		g, err = h.store.Group(ctx, id)
	} else {
		g, err = h.store.GroupByPath(ctx, ref)
	}
	if err != nil {
		return nil, 0, err
	}
	u := user(c)
	if u == nil {
		return nil, 0, model.NotFound("Group")
	}
	if u.Admin {
		return g, model.AdminAccess, nil
	}
	level, err := h.store.GroupAccess(ctx, u.ID, g.ID)
	if err != nil {
		return nil, 0, err
	}
	if level >= model.Guest {
		return g, level, nil
	}
	below, err := h.store.HasDescendantMembership(ctx, u.ID, g.ID)
	if err != nil {
		return nil, 0, err
	}
	if !below {
		return nil, 0, model.NotFound("Group")
	}
	return g, model.NoAccess, nil
}

// errForbidden is the API's answer when a visible resource refuses an action.
var errForbidden = model.Forbidden("403 Forbidden")

// requireLevel refuses an action below level: 403 in the API, and 404 on
// pages when the user cannot even read the thing.
func requireLevel(have, need model.AccessLevel) error {
	if have >= need {
		return nil
	}
	return errForbidden
}

func isNotFound(err error) bool { return errors.Is(err, model.ErrNotFound) }
