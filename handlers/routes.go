package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/hooklab/hooklab/model"
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
	e.GET("/favicon.ico", echo.WrapHandler(http.HandlerFunc(static.Favicon)))

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

	// Members and invitations: the members pages of groups and
	// projects, and the invitation links sent by e-mail (open to visitors
	// who are not signed in, so that they can sign up).
	for _, s := range []struct {
		base string
		load sourceLoader
	}{
		{"/groups/:group/-/group_members", h.groupSource("group")},
		{"/:project/-/project_members", h.projectSource("project")},
	} {
		e.GET(s.base, h.listMembers(s.load), signedIn)
		e.POST(s.base, h.createMember(s.load), signedIn)
		e.POST(s.base+"/invite", h.inviteMember(s.load), signedIn)
		e.PUT(s.base+"/:member_id", h.updateMemberLevel(s.load), signedIn)
		e.DELETE(s.base+"/:member_id", h.destroyMember(s.load), signedIn)
		e.GET(s.base+"/:member_id/remove", h.removeMemberPage(s.load), signedIn)
		e.POST(s.base+"/:member_id/resend_invite", h.resendInvitePage(s.load), signedIn)
	}
	e.GET(invitePrefix+":token", h.showInvite)
	e.POST(invitePrefix+":token/accept", h.acceptInvite)
	e.POST(invitePrefix+":token/decline", h.declineInvite)
	e.POST(invitePrefix+":token/register", h.registerFromInvite)

	// Profile (accounts): the signed-in user's own settings. The e-mail
	// confirmation link works without a session: its token is the proof.
	e.GET("/-/profile", h.showProfile, signedIn)
	e.PUT("/-/profile", h.updateProfile, signedIn)
	e.POST("/-/profile", h.updateProfile, signedIn)
	e.GET("/-/profile/password/edit", h.editPassword, signedIn)
	e.PUT("/-/profile/password", h.updatePassword, signedIn)
	e.POST("/-/profile/password", h.updatePassword, signedIn)
	e.GET("/-/profile/emails", h.listEmails, signedIn)
	e.POST("/-/profile/emails", h.createEmail, signedIn)
	e.GET("/-/profile/emails/confirmation", h.confirmEmail)
	e.PUT("/-/profile/emails/:id/resend_confirmation_instructions", h.resendEmailConfirmation, signedIn)
	e.DELETE("/-/profile/emails/:id", h.deleteEmail, signedIn)
	e.GET(tokensPath, h.listTokens, signedIn)
	e.POST(tokensPath, h.createToken, signedIn)
	e.GET(tokensPath+"/:id/revoke", h.revokeTokenPage, signedIn)
	e.PUT(tokensPath+"/:id/revoke", h.revokeToken, signedIn)
	e.GET(views.ActiveSessionsPath, h.listActiveSessions, signedIn)
	e.GET(views.ActiveSessionsPath+"/:id/revoke", h.revokeSessionPage, signedIn)
	e.DELETE(views.ActiveSessionsPath+"/:id", h.revokeSession, signedIn)

	// Admin area (accounts and admin): users, groups, projects, settings.
	// Non-admins get 404.
	e.GET("/admin", h.adminOverview, signedIn, admin)
	e.GET("/admin/users", h.adminListUsers, signedIn, admin)
	e.GET("/admin/users/new", h.adminNewUserPage, signedIn, admin)
	e.POST("/admin/users", h.adminCreateUser, signedIn, admin)
	e.GET("/admin/users/:username", h.adminShowUser, signedIn, admin)
	e.PUT("/admin/users/:username/block", h.adminBlockUser, signedIn, admin)
	e.PUT("/admin/users/:username/unblock", h.adminUnblockUser, signedIn, admin)
	e.PUT("/admin/users/:username/unlock", h.adminUnlockUser, signedIn, admin)
	e.PUT("/admin/users/:username/admin", h.adminGrantAdmin, signedIn, admin)
	e.DELETE("/admin/users/:username/admin", h.adminRevokeAdmin, signedIn, admin)
	e.PUT("/admin/users/:username/emails/:id/verify", h.adminVerifyEmail, signedIn, admin)
	e.GET("/admin/groups", h.adminListGroups, signedIn, admin)
	e.GET("/admin/projects", h.adminListProjects, signedIn, admin)
	e.GET(settingsPath, h.showSettings, signedIn, admin)
	e.PUT(settingsPath, h.updateSettings, signedIn, admin)
	e.POST(settingsPath, h.updateSettings, signedIn, admin)

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

	// Webhooks settings: project (maintainer), group (owner) and system
	// hooks (admin); the form's htmx fragments are shared.
	h.hookPages(e, "/:project/-/hooks", h.projectHookScope, signedIn)
	h.hookPages(e, "/groups/:group/-/hooks", h.groupHookScope, signedIn)
	h.hookPages(e, "/admin/hooks", h.adminHookScope, signedIn, admin)
	e.GET(views.HookFragmentsPath+"/:fragment", h.hookFormFragment, signedIn)

	// Mailgun: the signed failure webhook receiver (no session,
	// no CSRF; the old path is deprecated) and the admin's failures page.
	e.POST(model.MailgunWebhookPath, h.receiveMailgunWebhook(false))
	e.POST(model.MailgunDeprecatedWebhookPath, h.receiveMailgunWebhook(true))
	e.GET(views.MailgunFailuresPath, h.adminMailgunFailures, signedIn, admin)
	e.DELETE("/admin/mailgun/failing_addresses/:id", h.adminAllowFailingAddress, signedIn, admin)

	// JSON API (GitLab v4). Token authentication happens in web; every
	// route checks the token's scope.
	api := e.Group(apiPrefix, web.RequireScope)
	apiUser := h.srv.RequireUser(signInPath)
	api.GET("/version", h.apiMetadata, apiUser)
	api.GET("/metadata", h.apiMetadata, apiUser)
	api.GET("/user", h.apiCurrentUser, apiUser)
	api.GET("/users", h.apiListUsers, apiUser)
	api.POST("/users", h.apiCreateUser, apiUser, admin)
	api.GET("/users/:id", h.apiGetUser, apiUser)
	api.POST("/users/:id/personal_access_tokens", h.apiCreateUserToken, apiUser, admin)
	api.GET("/personal_access_tokens", h.apiListTokens, apiUser)
	api.GET("/personal_access_tokens/self", h.apiGetToken, apiUser)
	api.GET("/personal_access_tokens/:id", h.apiGetToken, apiUser)
	api.DELETE("/personal_access_tokens/self", h.apiRevokeToken, apiUser)
	api.DELETE("/personal_access_tokens/:id", h.apiRevokeToken, apiUser)
	api.POST("/personal_access_tokens/self/rotate", h.apiRotateToken, apiUser)
	api.POST("/personal_access_tokens/:id/rotate", h.apiRotateToken, apiUser)
	api.GET("/groups", h.apiListGroups, apiUser)
	api.POST("/groups", h.apiCreateGroup, apiUser)
	api.GET("/groups/:id", h.apiGetGroup, apiUser)
	api.GET("/groups/:id/subgroups", h.apiListSubgroups, apiUser)
	api.GET("/groups/:id/descendant_groups", h.apiListDescendantGroups, apiUser)
	api.GET("/groups/:id/projects", h.apiListGroupProjects, apiUser)
	api.GET("/projects", h.apiListProjects, apiUser)
	api.POST("/projects", h.apiCreateProject, apiUser)
	api.GET("/projects/:id", h.apiGetProject, apiUser)
	// Members and invitations of groups and projects.
	for _, s := range []struct {
		base string
		load sourceLoader
	}{
		{"/groups/:id", h.groupSource("id")},
		{"/projects/:id", h.projectSource("id")},
	} {
		api.GET(s.base+"/members", h.apiListMembers(s.load, false), apiUser)
		api.GET(s.base+"/members/all", h.apiListMembers(s.load, true), apiUser)
		api.GET(s.base+"/members/all/:user_id", h.apiGetMember(s.load, true), apiUser)
		api.GET(s.base+"/members/:user_id", h.apiGetMember(s.load, false), apiUser)
		api.POST(s.base+"/members", h.apiAddMember(s.load), apiUser)
		api.PUT(s.base+"/members/:user_id", h.apiEditMember(s.load), apiUser)
		api.DELETE(s.base+"/members/:user_id", h.apiRemoveMember(s.load), apiUser)
		api.GET(s.base+"/invitations", h.apiListInvitations(s.load), apiUser)
		api.POST(s.base+"/invitations", h.apiInvite(s.load), apiUser)
		api.PUT(s.base+"/invitations/:email", h.apiUpdateInvitation(s.load), apiUser)
		api.DELETE(s.base+"/invitations/:email", h.apiDeleteInvitation(s.load), apiUser)
	}
	// Publishing events (delivery).
	api.POST("/projects/:id/hook_events", h.apiPublishProjectEvents, apiUser)
	api.POST("/groups/:id/hook_events", h.apiPublishGroupEvents, apiUser)
	api.GET("/application/settings", h.apiGetSettings, apiUser, admin)
	api.PUT("/application/settings", h.apiUpdateSettings, apiUser, admin)

	// Notification settings API.
	api.GET("/notification_settings", h.apiGetGlobalNotificationSettings, apiUser)
	api.PUT("/notification_settings", h.apiUpdateGlobalNotificationSettings, apiUser)
	api.GET("/groups/:id/notification_settings", h.apiGetSourceNotificationSettings(model.SourceGroup), apiUser)
	api.PUT("/groups/:id/notification_settings", h.apiUpdateSourceNotificationSettings(model.SourceGroup), apiUser)
	api.GET("/projects/:id/notification_settings", h.apiGetSourceNotificationSettings(model.SourceProject), apiUser)
	api.PUT("/projects/:id/notification_settings", h.apiUpdateSourceNotificationSettings(model.SourceProject), apiUser)

	// Webhooks: project hooks (maintainer), group hooks (owner), system
	// hooks (admin).
	h.apiHookRoutes(api, "/projects/:id/hooks", h.apiProjectHookParent, apiUser)
	h.apiHookRoutes(api, "/groups/:id/hooks", h.apiGroupHookParent, apiUser)
	h.apiHookRoutes(api, "/hooks", h.apiSystemHookParent, apiUser, admin)
	// GitLab's own system hook test: POST /hooks/:hook_id sends its
	// project_create sample.
	api.POST("/hooks/:hook_id", h.apiTestSystemHook, apiUser, admin)
	api.Any("/*", h.apiNotFound)
}

// hookPages registers one kind of hooks settings pages under base: the
// list, the add form, the edit form, deletion (a confirmation page for
// browsers without JavaScript, a dialog otherwise), Test, and the recent
// events with their details and Resend.
func (h *Handler) hookPages(e *echo.Echo, base string, scope hookScopeFunc, m ...echo.MiddlewareFunc) {
	e.GET(base, h.listHooks(scope), m...)
	e.GET(base+"/new", h.newHookPage(scope), m...)
	e.POST(base, h.createHookForm(scope), m...)
	e.GET(base+"/:hook_id/edit", h.editHookPage(scope), m...)
	e.PUT(base+"/:hook_id", h.updateHookForm(scope), m...)
	e.GET(base+"/:hook_id/delete", h.deleteHookPage(scope), m...)
	e.DELETE(base+"/:hook_id", h.deleteHookForm(scope), m...)
	e.POST(base+"/:hook_id/test", h.testHookForm(scope), m...)
	e.GET(base+"/:hook_id/hook_logs", h.listHookLogs(scope), m...)
	e.GET(base+"/:hook_id/hook_logs/resend_failed", h.resendFailedPage(scope), m...)
	e.POST(base+"/:hook_id/hook_logs/resend_failed", h.resendFailedForm(scope), m...)
	e.GET(base+"/:hook_id/hook_logs/:log_id", h.showHookLog(scope), m...)
	e.POST(base+"/:hook_id/hook_logs/:log_id/retry", h.retryHookLogForm(scope), m...)
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
	// Recent events, Resend and Test.
	api.GET(prefix+"/:hook_id/events", h.apiListHookEvents(parent), m...)
	api.POST(prefix+"/:hook_id/events/:hook_log_id/resend", h.apiResendHookEvent(parent), m...)
	api.POST(prefix+"/:hook_id/test/:trigger", h.apiTestHook(parent), m...)
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
		// Rails-style forms write the method in lower case ("put").
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
