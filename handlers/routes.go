package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/hooklab/hooklab/static"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// Paths the router treats specially.
const (
	signInPath = "/users/sign_in"
	apiPrefix  = "/api/v4"
)

// APIPrefix and NoCSRFPrefixes configure the web layer for these routes.
var (
	APIPrefix      = apiPrefix + "/"
	NoCSRFPrefixes = []string{apiPrefix + "/", "/-/mailgun/", "/-/members/mailgun/"}
)

// routes is the whole URL map. Group and project pages use GitLab's URLs:
// /groups/<full/path>/-/<page> and /<full/path>/-/<page>; the Pre rewrite
// below folds the full path into one escaped segment so the router can
// match it as a parameter (:group, :project).
func (h *Handler) routes(e *echo.Echo) {
	e.Pre(namespacePaths, methodOverride)

	signedIn := h.srv.RequireUser(signInPath)
	admin := h.srv.RequireAdmin

	// Operations.
	e.GET("/-/health", h.health)
	e.GET("/-/readiness", h.readiness)
	e.GET("/static/*", echo.WrapHandler(static.Handler()))

	// Sessions.
	e.GET(signInPath, h.signInPage)
	e.POST(signInPath, h.signIn)
	e.POST("/users/sign_out", h.signOut)

	// Dashboard, groups and projects.
	e.GET("/", h.dashboard, signedIn)
	e.GET("/groups/new", h.newGroupPage, signedIn)
	e.POST("/groups", h.createGroup, signedIn)
	e.GET("/projects/new", h.newProjectPage, signedIn)
	e.POST("/projects", h.createProject, signedIn)
	e.GET("/groups/:group", h.showGroup, signedIn)
	e.GET("/groups/:group/-/projects", h.showGroup, signedIn)
	e.GET("/:project", h.showProject, signedIn)

	// Admin area.
	e.GET("/admin", h.adminOverview, signedIn, admin)

	// Webhooks settings: project (maintainer), group (owner) and system
	// hooks (admin); the form's htmx fragments are shared.
	h.hookPages(e, "/:project/-/hooks", h.projectHookScope, signedIn)
	h.hookPages(e, "/groups/:group/-/hooks", h.groupHookScope, signedIn)
	h.hookPages(e, "/admin/hooks", h.adminHookScope, signedIn, admin)
	e.GET(views.HookFragmentsPath+"/:fragment", h.hookFormFragment, signedIn)

	// JSON API (GitLab v4). Token authentication happens in web; every
	// route checks the token's scope.
	api := e.Group(apiPrefix, web.RequireScope)
	apiUser := h.srv.RequireUser(signInPath)
	api.GET("/version", h.apiVersion, apiUser)
	api.GET("/user", h.apiCurrentUser, apiUser)
	api.GET("/users", h.apiListUsers, apiUser)
	api.POST("/users", h.apiCreateUser, apiUser, admin)
	api.GET("/users/:id", h.apiGetUser, apiUser)
	api.GET("/groups", h.apiListGroups, apiUser)
	api.POST("/groups", h.apiCreateGroup, apiUser)
	api.GET("/groups/:id", h.apiGetGroup, apiUser)
	api.GET("/groups/:id/subgroups", h.apiListSubgroups, apiUser)
	api.GET("/groups/:id/projects", h.apiListGroupProjects, apiUser)
	api.GET("/projects", h.apiListProjects, apiUser)
	api.POST("/projects", h.apiCreateProject, apiUser)
	api.GET("/projects/:id", h.apiGetProject, apiUser)
	api.GET("/application/settings", h.apiGetSettings, apiUser, admin)
	api.PUT("/application/settings", h.apiUpdateSettings, apiUser, admin)
	// Webhooks: project hooks (maintainer), group hooks (owner), system
	// hooks (admin).
	h.apiHookRoutes(api, "/projects/:id/hooks", h.apiProjectHookParent, apiUser)
	h.apiHookRoutes(api, "/groups/:id/hooks", h.apiGroupHookParent, apiUser)
	h.apiHookRoutes(api, "/hooks", h.apiSystemHookParent, apiUser, admin)
	api.Any("/*", h.apiNotFound)
}

// hookPages registers one kind of hooks settings pages under base: the
// list, the add form, the edit form, and deletion (a confirmation page for
// browsers without JavaScript, a dialog otherwise).
func (h *Handler) hookPages(e *echo.Echo, base string, scope hookScopeFunc, m ...echo.MiddlewareFunc) {
	e.GET(base, h.listHooks(scope), m...)
	e.GET(base+"/new", h.newHookPage(scope), m...)
	e.POST(base, h.createHookForm(scope), m...)
	e.GET(base+"/:hook_id/edit", h.editHookPage(scope), m...)
	e.PUT(base+"/:hook_id", h.updateHookForm(scope), m...)
	e.GET(base+"/:hook_id/delete", h.deleteHookPage(scope), m...)
	e.DELETE(base+"/:hook_id", h.deleteHookForm(scope), m...)
}

// apiHookRoutes registers GitLab's hook endpoints under prefix
// (/projects/:id/hooks, /groups/:id/hooks, /hooks).
func (h *Handler) apiHookRoutes(api *echo.Group, prefix string, parent hookParentFunc, m ...echo.MiddlewareFunc) {
	api.GET(prefix, h.apiListHooks(parent), m...)
	api.POST(prefix, h.apiCreateHook(parent), m...)
	api.GET(prefix+"/:hook_id", h.apiGetHook(parent), m...)
	api.PUT(prefix+"/:hook_id", h.apiUpdateHook(parent), m...)
	api.DELETE(prefix+"/:hook_id", h.apiDeleteHook(parent), m...)
	api.PUT(prefix+"/:hook_id/url_variables/:key", h.apiSetHookEntry(parent, urlVariableEntries), m...)
	api.DELETE(prefix+"/:hook_id/url_variables/:key", h.apiDeleteHookEntry(parent, urlVariableEntries), m...)
	api.PUT(prefix+"/:hook_id/custom_headers/:key", h.apiSetHookEntry(parent, customHeaderEntries), m...)
	api.DELETE(prefix+"/:hook_id/custom_headers/:key", h.apiDeleteHookEntry(parent, customHeaderEntries), m...)
}

// namespacePaths rewrites /acme/platform/api/-/hooks to the raw path
// /acme%2Fplatform%2Fapi/-/hooks (and /groups/acme/platform/-/x likewise),
// so the router matches a full path of any depth as one parameter, and
// /groups/acme/platform to /groups/acme%2Fplatform.
func namespacePaths(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		p := u.EscapedPath()
		if strings.HasPrefix(p, apiPrefix+"/") || strings.HasPrefix(p, "/-/") || strings.HasPrefix(p, "/static/") {
			return next(c)
		}
		base, rest := p, ""
		if i := strings.Index(p, "/-/"); i > 0 {
			base, rest = p[:i], p[i:]
		}
		switch {
		case strings.HasPrefix(base, "/groups/"):
			ns := strings.Trim(strings.TrimPrefix(base, "/groups/"), "/")
			if ns == "" || ns == "new" {
				return next(c)
			}
			u.RawPath = "/groups/" + strings.ReplaceAll(ns, "/", "%2F") + rest
		case strings.Count(strings.Trim(base, "/"), "/") >= 1 && !reservedTop(base):
			// Projects always live in a group: two or more segments.
			ns := strings.Trim(base, "/")
			u.RawPath = "/" + strings.ReplaceAll(ns, "/", "%2F") + rest
		}
		return next(c)
	}
}

// reservedTop reports whether a path starts with one of our own top-level
// routes rather than a group's path.
func reservedTop(p string) bool {
	first := strings.TrimPrefix(p, "/")
	if i := strings.IndexByte(first, '/'); i >= 0 {
		first = first[:i]
	}
	switch first {
	case "users", "admin", "groups", "projects", "api", "static", "-":
		return true
	}
	return false
}

// methodOverride lets plain HTML forms send PUT and DELETE through a
// hidden _method field. Only form posts outside the API are looked at, so
// API bodies are never read here.
func methodOverride(next echo.HandlerFunc) echo.HandlerFunc {
	mo := middleware.MethodOverrideWithConfig(middleware.MethodOverrideConfig{
		// Rack's MethodOverride upper-cases the value; so do we.
		Getter: func(c echo.Context) string { return strings.ToUpper(c.FormValue("_method")) },
		Skipper: func(c echo.Context) bool {
			r := c.Request()
			return r.Method != http.MethodPost || strings.HasPrefix(r.URL.Path, apiPrefix+"/") ||
				!strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
		},
	})
	return mo(next)
}
