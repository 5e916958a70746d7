package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/static"
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

	// Notification settings page (profile → Notifications): global level and
	// e-mail, one row per group and project, custom events.
	e.GET("/-/profile/notifications", h.notificationsPage, signedIn)
	e.PUT("/-/profile/notifications", h.updateNotifications(model.SourceGlobal), signedIn)
	e.GET("/-/profile/notifications/events", h.notificationEventsPage(model.SourceGlobal), signedIn)
	e.PUT("/-/profile/notifications/events", h.updateNotificationEvents(model.SourceGlobal), signedIn)
	e.PUT("/-/profile/notifications/groups/:id", h.updateNotifications(model.SourceGroup), signedIn)
	e.GET("/-/profile/notifications/groups/:id/events", h.notificationEventsPage(model.SourceGroup), signedIn)
	e.PUT("/-/profile/notifications/groups/:id/events", h.updateNotificationEvents(model.SourceGroup), signedIn)
	e.PUT("/-/profile/notifications/projects/:id", h.updateNotifications(model.SourceProject), signedIn)
	e.GET("/-/profile/notifications/projects/:id/events", h.notificationEventsPage(model.SourceProject), signedIn)
	e.PUT("/-/profile/notifications/projects/:id/events", h.updateNotificationEvents(model.SourceProject), signedIn)

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

	// Notification settings API.
	api.GET("/notification_settings", h.apiGetGlobalNotificationSettings, apiUser)
	api.PUT("/notification_settings", h.apiUpdateGlobalNotificationSettings, apiUser)
	api.GET("/groups/:id/notification_settings", h.apiGetSourceNotificationSettings(model.SourceGroup), apiUser)
	api.PUT("/groups/:id/notification_settings", h.apiUpdateSourceNotificationSettings(model.SourceGroup), apiUser)
	api.GET("/projects/:id/notification_settings", h.apiGetSourceNotificationSettings(model.SourceProject), apiUser)
	api.PUT("/projects/:id/notification_settings", h.apiUpdateSourceNotificationSettings(model.SourceProject), apiUser)

	api.Any("/*", h.apiNotFound)
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
		Getter: middleware.MethodFromForm("_method"),
		Skipper: func(c echo.Context) bool {
			r := c.Request()
			return r.Method != http.MethodPost || strings.HasPrefix(r.URL.Path, apiPrefix+"/") ||
				!strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
		},
	})
	return mo(next)
}
