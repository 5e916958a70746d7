package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// adminPerPage is the page size of the admin area's lists.
const adminPerPage = 20

// adminPage is the layout data of an admin area page.
func (h *Handler) adminPage(c echo.Context, active, title string) views.Page {
	p := h.srv.Page(c, title)
	p.Nav = views.AdminNav(active)
	p.Crumbs = []views.Crumb{{Label: "Admin area", URL: "/admin"}}
	return p
}

// listPage reads a browser list's search and page; a malformed page number
// is the first page rather than an error.
func listPage(c echo.Context) (search string, pg views.Pager) {
	search = strings.TrimSpace(c.QueryParam("search"))
	page, err := strconv.Atoi(c.QueryParam("page"))
	if err != nil {
		page = 1
	}
	page = model.ClampPage(page)
	q := c.QueryParams()
	return search, views.Pager{Path: c.Request().URL.Path, Query: q, Page: page, PerPage: adminPerPage}
}

func dbPage(pg views.Pager) db.Page { return db.Page{Page: pg.Page, PerPage: pg.PerPage} }

func (h *Handler) adminListUsers(c echo.Context) error {
	search, pg := listPage(c)
	users, total, err := h.store.Users(h.ctx(c), db.UserFilter{Search: search, SearchEmails: true, Page: dbPage(pg)})
	if err != nil {
		return err
	}
	pg.Total = total
	return web.Render(c, http.StatusOK, views.AdminUsersPage(h.adminPage(c, "users", "Users"), users, search, pg))
}

func (h *Handler) adminListGroups(c echo.Context) error {
	search, pg := listPage(c)
	groups, total, err := h.store.Groups(h.ctx(c), db.GroupFilter{Search: search, Page: dbPage(pg)})
	if err != nil {
		return err
	}
	pg.Total = total
	return web.Render(c, http.StatusOK, views.AdminGroupsPage(h.adminPage(c, "groups", "Groups"), groups, search, pg))
}

func (h *Handler) adminListProjects(c echo.Context) error {
	search, pg := listPage(c)
	projects, total, err := h.store.Projects(h.ctx(c), db.ProjectFilter{Search: search, Page: dbPage(pg)})
	if err != nil {
		return err
	}
	pg.Total = total
	return web.Render(c, http.StatusOK, views.AdminProjectsPage(h.adminPage(c, "projects", "Projects"), projects, search, pg))
}

func (h *Handler) adminNewUserPage(c echo.Context) error {
	return web.Render(c, http.StatusOK, views.AdminNewUserPage(h.adminPage(c, "users", "New user"), views.UserForm{}))
}

func (h *Handler) adminCreateUser(c echo.Context) error {
	in := model.NewUserInput{
		Username: c.FormValue("username"), Name: c.FormValue("name"), Email: c.FormValue("email"),
		Password: c.FormValue("password"), Admin: c.FormValue("admin") == "1",
	}
	u, err := h.store.RegisterUser(h.ctx(c), in)
	if err != nil {
		f := views.UserForm{Username: in.Username, Name: in.Name, Email: in.Email, Admin: in.Admin}
		if f.Errors, err = web.FormErrors(err); err != nil {
			return err
		}
		f.Errors = formSentences(f.Errors, userFormFields)
		return web.Render(c, http.StatusUnprocessableEntity, views.AdminNewUserPage(h.adminPage(c, "users", "New user"), f))
	}
	h.log.Info("user created by an administrator", "user", u.Username, "admin", u.Admin, "by", user(c).Username)
	h.srv.Flash(c, "notice", "User was successfully created.")
	return web.Redirect(c, views.AdminUserURL(u))
}

// adminUser is the user an admin area URL names.
func (h *Handler) adminUser(c echo.Context) (*model.User, error) {
	return h.store.UserByUsername(h.ctx(c), c.Param("username"))
}

func (h *Handler) adminShowUser(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	emails, err := h.store.Emails(h.ctx(c), u.ID)
	if err != nil {
		return err
	}
	p := h.adminPage(c, "users", u.Name)
	p.Crumbs = append(p.Crumbs, views.Crumb{Label: "Users", URL: "/admin/users"})
	return web.Render(c, http.StatusOK, views.AdminUserPage(p, u, emails))
}

func (h *Handler) adminBlockUser(c echo.Context) error {
	return h.adminUserChange(c, "You cannot block yourself.", "Successfully blocked", func(u *model.User) error {
		return h.store.SetUserState(h.ctx(c), u.ID, model.UserBlocked)
	})
}

func (h *Handler) adminUnblockUser(c echo.Context) error {
	return h.adminUserChange(c, "You cannot unblock yourself.", "Successfully unblocked", func(u *model.User) error {
		return h.store.SetUserState(h.ctx(c), u.ID, model.UserActive)
	})
}

// adminUnlockUser ends a lock from failed sign-ins before it runs out, as
// GitLab's admin "Unlock user" does.
func (h *Handler) adminUnlockUser(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	if err := h.store.UnlockUser(h.ctx(c), u.ID); err != nil {
		return err
	}
	h.log.Info("user unlocked by an administrator", "user", u.Username, "by", user(c).Username)
	h.srv.Flash(c, "notice", "Successfully unlocked")
	return web.Redirect(c, views.AdminUserURL(u))
}

func (h *Handler) adminGrantAdmin(c echo.Context) error {
	return h.adminUserChange(c, "You cannot change your own administrator rights.", "User was made an administrator.", func(u *model.User) error {
		return h.store.SetUserAdmin(h.ctx(c), u.ID, true)
	})
}

func (h *Handler) adminRevokeAdmin(c echo.Context) error {
	return h.adminUserChange(c, "You cannot change your own administrator rights.", "Administrator rights were removed.", func(u *model.User) error {
		return h.store.SetUserAdmin(h.ctx(c), u.ID, false)
	})
}

// adminUserChange applies one change to the user the URL names. Admins
// cannot block themselves or change their own rights: that is how an
// instance loses its last way in.
func (h *Handler) adminUserChange(c echo.Context, selfMessage, done string, change func(u *model.User) error) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	if u.ID == user(c).ID {
		h.srv.Flash(c, "alert", selfMessage)
		return web.Redirect(c, views.AdminUserURL(u))
	}
	if err := change(u); err != nil {
		return err
	}
	h.log.Info("user changed by an administrator", "user", u.Username, "change", done, "by", user(c).Username)
	h.srv.Flash(c, "notice", done)
	return web.Redirect(c, views.AdminUserURL(u))
}

// adminVerifyEmail marks a user's unverified secondary address as verified
// without the confirmation link.
func (h *Handler) adminVerifyEmail(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return model.NotFound("Email")
	}
	ctx := h.ctx(c)
	e, err := h.store.Email(ctx, u.ID, id)
	if err != nil {
		return err
	}
	if e.Verified() {
		h.srv.Flash(c, "alert", e.Email+" is already verified.")
		return web.Redirect(c, views.AdminUserURL(u))
	}
	if err := h.store.MarkEmailVerified(ctx, e.ID); err != nil {
		return err
	}
	h.log.Info("email marked as verified by an administrator", "user", u.Username, "email_id", e.ID, "by", user(c).Username)
	h.srv.Flash(c, "notice", e.Email+" was marked as verified.")
	return web.Redirect(c, views.AdminUserURL(u))
}
