package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// Creating subgroups and projects needs maintainer in the parent group, as
// GitLab's default creation levels.
const createLevel = model.Maintainer

func (h *Handler) dashboard(c echo.Context) error {
	u := user(c)
	visible := u.ID
	if u.Admin {
		visible = 0
	}
	page := db.Page{Page: 1, PerPage: 100}
	groups, _, err := h.store.Groups(h.ctx(c), db.GroupFilter{VisibleTo: visible, Page: page})
	if err != nil {
		return err
	}
	projects, _, err := h.store.Projects(h.ctx(c), db.ProjectFilter{VisibleTo: visible, Page: page})
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.DashboardPage(h.srv.Page(c, "Dashboard"), groups, projects))
}

// groupsWithLevel lists the groups where the user has at least level.
func (h *Handler) groupsWithLevel(c echo.Context, level model.AccessLevel) ([]model.Group, error) {
	u := user(c)
	visible := u.ID
	if u.Admin {
		visible = 0
	}
	all, _, err := h.store.Groups(h.ctx(c), db.GroupFilter{VisibleTo: visible, Page: db.Page{Page: 1, PerPage: 1000}})
	if err != nil || u.Admin {
		return all, err
	}
	out := all[:0]
	for _, g := range all {
		l, err := h.store.GroupAccess(h.ctx(c), u.ID, g.ID)
		if err != nil {
			return nil, err
		}
		if l >= level {
			out = append(out, g)
		}
	}
	return out, nil
}

func (h *Handler) newGroupPage(c echo.Context) error {
	parents, err := h.groupsWithLevel(c, createLevel)
	if err != nil {
		return err
	}
	parentID, _ := strconv.ParseInt(c.QueryParam("parent_id"), 10, 64)
	return web.Render(c, http.StatusOK, views.NewGroupPage(h.srv.Page(c, "New group"), views.NamespaceForm{ParentID: parentID, Parents: parents}))
}

func (h *Handler) createGroup(c echo.Context) error {
	f := views.NamespaceForm{Name: c.FormValue("name"), Path: c.FormValue("path"), Description: c.FormValue("description")}
	f.ParentID, _ = strconv.ParseInt(c.FormValue("parent_id"), 10, 64)
	g, err := h.newGroup(c, f.Name, f.Path, f.Description, f.ParentID)
	if err != nil {
		v, err := web.FormErrors(err)
		if err != nil {
			return err
		}
		f.Errors = formSentences(v, namespaceFormFields)
		if f.Parents, err = h.groupsWithLevel(c, createLevel); err != nil {
			return err
		}
		return web.Render(c, http.StatusUnprocessableEntity, views.NewGroupPage(h.srv.Page(c, "New group"), f))
	}
	h.srv.Flash(c, "notice", "Group '"+g.Name+"' was successfully created.")
	return web.Redirect(c, views.GroupURL(g))
}

// newGroup validates and stores a group, checking the user may create it
// under parentID (0 for top level). Errors are validation errors on fields.
func (h *Handler) newGroup(c echo.Context, name, path, description string, parentID int64) (*model.Group, error) {
	in := model.NamespaceInput{Name: name, Path: path, Description: description, TopLevel: parentID == 0}
	g := &model.Group{}
	var parent *model.Group
	if parentID != 0 {
		parent = &model.Group{ID: parentID}
	}
	parent, err := h.checkNamespace(c, &in, parent, "parent_id", "create a subgroup in this group", false)
	if err != nil {
		return nil, err
	}
	g.Name, g.Path, g.Description = in.Name, in.Path, in.Description
	if parent != nil {
		g.ParentID = &parent.ID
	}
	if err := h.store.CreateGroup(h.ctx(c), g, user(c).ID); err != nil {
		return nil, err
	}
	return g, nil
}

func (h *Handler) showGroup(c echo.Context) error {
	g, level, err := h.groupAccess(c, pathParam(c, "group"))
	if err != nil {
		return err
	}
	ctx := h.ctx(c)
	u := user(c)
	visible := u.ID
	if u.Admin {
		visible = 0
	}
	page := db.Page{Page: 1, PerPage: 100}
	subgroups, _, err := h.store.Groups(ctx, db.GroupFilter{VisibleTo: visible, ParentID: &g.ID, Page: page})
	if err != nil {
		return err
	}
	projects, _, err := h.store.Projects(ctx, db.ProjectFilter{VisibleTo: visible, GroupIDs: []int64{g.ID}, Page: page})
	if err != nil {
		return err
	}
	p, err := h.groupPage(c, g, level, "overview", g.Name)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.GroupPage(p, g, subgroups, projects, level >= createLevel))
}

// groupPage is the layout data of a group's pages: sidebar and breadcrumbs.
func (h *Handler) groupPage(c echo.Context, g *model.Group, level model.AccessLevel, active, title string) (views.Page, error) {
	anc, err := h.store.GroupAncestors(h.ctx(c), g.ID)
	if err != nil {
		return views.Page{}, err
	}
	p := h.srv.Page(c, title)
	p.Nav = views.GroupNav(g, active, level >= model.Owner)
	p.Crumbs = views.GroupCrumbs(anc, g)
	return p, nil
}

// projectPage is the layout data of a project's pages.
func (h *Handler) projectPage(c echo.Context, pr *model.Project, level model.AccessLevel, active, title string) (views.Page, error) {
	g, err := h.store.Group(h.ctx(c), pr.GroupID)
	if err != nil {
		return views.Page{}, err
	}
	anc, err := h.store.GroupAncestors(h.ctx(c), g.ID)
	if err != nil {
		return views.Page{}, err
	}
	p := h.srv.Page(c, title)
	p.Nav = views.ProjectNav(pr, active, level >= model.Maintainer)
	p.Crumbs = append(views.GroupCrumbs(anc, g), views.Crumb{Label: pr.Name, URL: views.ProjectURL(pr)})
	return p, nil
}

func (h *Handler) newProjectPage(c echo.Context) error {
	parents, err := h.groupsWithLevel(c, createLevel)
	if err != nil {
		return err
	}
	f := views.NamespaceForm{Parents: parents}
	f.ParentID, _ = strconv.ParseInt(c.QueryParam("namespace_id"), 10, 64)
	return web.Render(c, http.StatusOK, views.NewProjectPage(h.srv.Page(c, "New project"), f))
}

func (h *Handler) createProject(c echo.Context) error {
	f := views.NamespaceForm{Name: c.FormValue("name"), Path: c.FormValue("path"), Description: c.FormValue("description")}
	f.ParentID, _ = strconv.ParseInt(c.FormValue("namespace_id"), 10, 64)
	p, err := h.newProject(c, f.Name, f.Path, f.Description, f.ParentID)
	if err != nil {
		v, err := web.FormErrors(err)
		if err != nil {
			return err
		}
		f.Errors = formSentences(v, namespaceFormFields)
		if f.Parents, err = h.groupsWithLevel(c, createLevel); err != nil {
			return err
		}
		return web.Render(c, http.StatusUnprocessableEntity, views.NewProjectPage(h.srv.Page(c, "New project"), f))
	}
	h.srv.Flash(c, "notice", "Project '"+p.Name+"' was successfully created.")
	return web.Redirect(c, views.ProjectURL(p))
}

// checkNamespace validates a new group's or project's fields and that the
// user may create it in parent (nil: top level, refused when required).
// Problems come back as one validation error, parent's on field; the
// parent returned is the one loaded from the store.
func (h *Handler) checkNamespace(c echo.Context, in *model.NamespaceInput, parent *model.Group, field, action string, required bool) (*model.Group, error) {
	v, _ := model.AsValidation(in.Validate())
	if v == nil {
		v = &model.ValidationError{}
	}
	switch {
	case parent == nil && required:
		v.Add(field, "can't be blank: projects live in a group")
	case parent != nil:
		g, level, err := h.groupAccess(c, strconv.FormatInt(parent.ID, 10))
		switch {
		case isNotFound(err):
			v.Add(field, "is not a group you can see")
		case err != nil:
			return nil, err
		case level < createLevel:
			v.Add(field, "You don't have permission to "+action+".")
		default:
			parent = g
		}
	}
	// A taken path is reported with the other problems, so fixing them
	// does not reveal a new one; the store's unique route still decides
	// a race.
	if len(v.For("path")) == 0 && len(v.For(field)) == 0 && (parent != nil || !required) {
		full := in.Path
		if parent != nil {
			full = parent.FullPath + "/" + in.Path
		}
		if taken, err := h.pathTaken(c, full); err != nil {
			return nil, err
		} else if taken {
			v.Add("path", "has already been taken")
		}
	}
	return parent, v.Err()
}

// pathTaken reports whether a group or project already has fullPath.
func (h *Handler) pathTaken(c echo.Context, fullPath string) (bool, error) {
	ctx := h.ctx(c)
	if _, err := h.store.GroupByPath(ctx, fullPath); !isNotFound(err) {
		return err == nil, err
	}
	if _, err := h.store.ProjectByPath(ctx, fullPath); !isNotFound(err) {
		return err == nil, err
	}
	return false, nil
}

// newProject validates and stores a project in group groupID.
func (h *Handler) newProject(c echo.Context, name, path, description string, groupID int64) (*model.Project, error) {
	in := model.NamespaceInput{Name: name, Path: path, Description: description}
	var group *model.Group
	if groupID != 0 {
		group = &model.Group{ID: groupID}
	}
	group, err := h.checkNamespace(c, &in, group, "namespace_id", "create projects in this group", true)
	if err != nil {
		return nil, err
	}
	p := &model.Project{Name: in.Name, Path: in.Path, Description: in.Description, GroupID: group.ID}
	if err := h.store.CreateProject(h.ctx(c), p, user(c).ID); err != nil {
		return nil, err
	}
	return p, nil
}

func (h *Handler) showProject(c echo.Context) error {
	p, level, err := h.projectAccess(c, pathParam(c, "project"))
	if err != nil {
		return err
	}
	page, err := h.projectPage(c, p, level, "overview", p.Name)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.ProjectPage(page, p, level))
}

func (h *Handler) adminOverview(c echo.Context) error {
	ctx := h.ctx(c)
	users, err := h.store.CountUsers(ctx)
	if err != nil {
		return err
	}
	_, groups, err := h.store.Groups(ctx, db.GroupFilter{Page: db.Page{Page: 1, PerPage: 1}})
	if err != nil {
		return err
	}
	_, projects, err := h.store.Projects(ctx, db.ProjectFilter{Page: db.Page{Page: 1, PerPage: 1}})
	if err != nil {
		return err
	}
	p := h.srv.Page(c, "Admin area")
	p.Nav = views.AdminNav("overview")
	return web.Render(c, http.StatusOK, views.AdminOverviewPage(p, users, groups, projects, h.cfg.Version))
}
