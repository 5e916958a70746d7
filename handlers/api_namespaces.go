package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/web"
)

// visibleTo is the store filter for what the current user may list.
func visibleTo(c echo.Context) int64 {
	if u := user(c); !u.Admin {
		return u.ID
	}
	return 0
}

func (h *Handler) apiListGroups(c echo.Context) error {
	pg, err := web.Paginate(c)
	if err != nil {
		return err
	}
	f := db.GroupFilter{VisibleTo: visibleTo(c), Page: db.Page{Page: pg.Page, PerPage: pg.PerPage}}
	if err := groupListParams(c, &f); err != nil {
		return err
	}
	return h.writeGroups(c, f, pg)
}

func (h *Handler) apiListSubgroups(c echo.Context) error {
	g, _, err := h.groupAccess(c, pathParam(c, "id"))
	if err != nil {
		return err
	}
	pg, err := web.Paginate(c)
	if err != nil {
		return err
	}
	return h.writeGroups(c, db.GroupFilter{VisibleTo: visibleTo(c), ParentID: &g.ID, Search: c.QueryParam("search"),
		Page: db.Page{Page: pg.Page, PerPage: pg.PerPage}}, pg)
}

// apiListDescendantGroups is GET /groups/:id/descendant_groups: the
// groups below the group at any depth, with the filters of GET /groups.
func (h *Handler) apiListDescendantGroups(c echo.Context) error {
	g, _, err := h.groupAccess(c, pathParam(c, "id"))
	if err != nil {
		return err
	}
	pg, err := web.Paginate(c)
	if err != nil {
		return err
	}
	f := db.GroupFilter{VisibleTo: visibleTo(c), DescendantsOf: g.ID, Page: db.Page{Page: pg.Page, PerPage: pg.PerPage}}
	if err := groupListParams(c, &f); err != nil {
		return err
	}
	return h.writeGroups(c, f, pg)
}

func (h *Handler) writeGroups(c echo.Context, f db.GroupFilter, pg web.Pagination) error {
	groups, total, err := h.store.Groups(h.ctx(c), f)
	if err != nil {
		return err
	}
	out := make([]apiGroup, 0, len(groups))
	for i := range groups {
		out = append(out, h.groupEntity(&groups[i]))
	}
	web.SetPageHeaders(c, h.cfg.ExternalURL, pg, total)
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) apiGetGroup(c echo.Context) error {
	g, _, err := h.groupAccess(c, pathParam(c, "id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.groupEntity(g))
}

func (h *Handler) apiCreateGroup(c echo.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	name, _ := p.String("name")
	path, _ := p.String("path")
	var missing []string
	if strings.TrimSpace(name) == "" {
		missing = append(missing, "name")
	}
	if strings.TrimSpace(path) == "" {
		missing = append(missing, "path")
	}
	if len(missing) > 0 {
		return &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": strings.Join(missing, ", ") + " is missing"}}
	}
	desc, _ := p.String("description")
	parentID, _, err := p.Int64("parent_id")
	if err != nil {
		return err
	}
	g, err := h.newGroup(c, name, path, desc, parentID)
	if err != nil {
		return apiNamespaceError(err)
	}
	return c.JSON(http.StatusCreated, h.groupEntity(g))
}

// apiNamespaceError turns permission problems found while validating a
// group or project into GitLab's 403/404, and leaves field errors as 400.
func apiNamespaceError(err error) error {
	v, ok := model.AsValidation(err)
	if !ok {
		return err
	}
	for _, e := range v.Errors {
		switch {
		case strings.HasPrefix(e.Message, "You don't have permission"):
			return errForbidden
		case e.Message == "is not a group you can see":
			return model.NotFound("Namespace")
		}
	}
	return err
}

func (h *Handler) apiListProjects(c echo.Context) error {
	pg, err := web.Paginate(c)
	if err != nil {
		return err
	}
	f := db.ProjectFilter{VisibleTo: visibleTo(c), Page: db.Page{Page: pg.Page, PerPage: pg.PerPage}}
	if err := projectListParams(c, &f, true); err != nil {
		return err
	}
	return h.writeProjects(c, f, pg)
}

func (h *Handler) apiListGroupProjects(c echo.Context) error {
	g, _, err := h.groupAccess(c, pathParam(c, "id"))
	if err != nil {
		return err
	}
	pg, err := web.Paginate(c)
	if err != nil {
		return err
	}
	ids := []int64{g.ID}
	if b, _ := strconv.ParseBool(c.QueryParam("include_subgroups")); b {
		if ids, err = h.store.GroupSelfAndDescendantIDs(h.ctx(c), g.ID); err != nil {
			return err
		}
	}
	f := db.ProjectFilter{VisibleTo: visibleTo(c), GroupIDs: ids, Page: db.Page{Page: pg.Page, PerPage: pg.PerPage}}
	if err := projectListParams(c, &f, false); err != nil {
		return err
	}
	return h.writeProjects(c, f, pg)
}

func (h *Handler) writeProjects(c echo.Context, f db.ProjectFilter, pg web.Pagination) error {
	projects, total, err := h.store.Projects(h.ctx(c), f)
	if err != nil {
		return err
	}
	out := make([]apiProject, 0, len(projects))
	groups := map[int64]*model.Group{}
	for i := range projects {
		g, ok := groups[projects[i].GroupID]
		if !ok {
			if g, err = h.store.Group(h.ctx(c), projects[i].GroupID); err != nil {
				return err
			}
			groups[g.ID] = g
		}
		out = append(out, h.projectEntity(&projects[i], g))
	}
	web.SetPageHeaders(c, h.cfg.ExternalURL, pg, total)
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) apiGetProject(c echo.Context) error {
	p, _, err := h.projectAccess(c, pathParam(c, "id"))
	if err != nil {
		return err
	}
	g, err := h.store.Group(h.ctx(c), p.GroupID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.projectEntity(p, g))
}

func (h *Handler) apiCreateProject(c echo.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	name, _ := p.String("name")
	path, _ := p.String("path")
	if strings.TrimSpace(name) == "" && strings.TrimSpace(path) == "" {
		return &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": "name, path are missing, at least one parameter must be provided"}}
	}
	if name == "" {
		name = path
	}
	desc, _ := p.String("description")
	nsID, _, err := p.Int64("namespace_id")
	if err != nil {
		return err
	}
	if nsID == 0 {
		return &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": "namespace_id is missing: projects live in a group"}}
	}
	pr, err := h.newProject(c, name, path, desc, nsID)
	if err != nil {
		return apiNamespaceError(err)
	}
	g, err := h.store.Group(h.ctx(c), pr.GroupID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, h.projectEntity(pr, g))
}

func (h *Handler) apiNotFound(c echo.Context) error {
	return &web.JSONError{Status: http.StatusNotFound, Body: map[string]string{"error": "404 Not Found"}}
}
