package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/medama-io/go-useragent"

	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// listActiveSessions is User settings → Active sessions.
func (h *Handler) listActiveSessions(c echo.Context) error {
	rows, err := h.activeSessions(c)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.ActiveSessionsPage(h.profilePage(c, "active_sessions", "Active sessions"), rows))
}

// activeSessions are the user's live sessions as the page shows them.
func (h *Handler) activeSessions(c echo.Context) ([]views.ActiveSession, error) {
	sessions, err := h.store.UserSessions(h.ctx(c), user(c).ID)
	if err != nil {
		return nil, err
	}
	var current int64
	if s := web.CurrentSession(c); s != nil {
		current = s.ID
	}
	out := make([]views.ActiveSession, 0, len(sessions))
	for _, s := range sessions {
		out = append(out, views.ActiveSession{Session: s, Device: deviceName(s.UserAgent), Current: s.ID == current})
	}
	return out, nil
}

// activeSession is the user's own session the URL names; another user's
// is not found.
func (h *Handler) activeSession(c echo.Context) (views.ActiveSession, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err == nil {
		rows, err := h.activeSessions(c)
		if err != nil {
			return views.ActiveSession{}, err
		}
		for _, s := range rows {
			if s.ID == id {
				return s, nil
			}
		}
	}
	return views.ActiveSession{}, model.NotFound("Session")
}

// revokeSessionPage confirms a revocation without JavaScript (with it, the
// list opens the same form in a dialog).
func (h *Handler) revokeSessionPage(c echo.Context) error {
	s, err := h.activeSession(c)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.RevokeSessionPage(h.profilePage(c, "active_sessions", "Revoke session"), s))
}

// revokeSession ends another of the user's sessions: that browser is
// signed out at its next request. The current session ends by signing out.
func (h *Handler) revokeSession(c echo.Context) error {
	s, err := h.activeSession(c)
	if err != nil {
		return err
	}
	if s.Current {
		h.srv.Flash(c, "alert", "This is your current session: sign out to end it.")
		return web.Redirect(c, views.ActiveSessionsPath)
	}
	if err := h.store.DeleteSession(h.ctx(c), user(c).ID, s.ID); err != nil {
		return err
	}
	h.log.Info("session revoked", "user", user(c).Username, "session_id", s.ID)
	h.srv.Flash(c, "notice", "The session of "+s.Device+" was revoked.")
	return web.Redirect(c, views.ActiveSessionsPath)
}

// deviceName says which browser on which system a User-Agent is, as the
// Active sessions page shows it ("Firefox on Linux"); an agent the parser
// does not know is shown as sent, shortened.
func deviceName(agent string) string {
	if strings.TrimSpace(agent) == "" {
		return "Unknown browser"
	}
	ua := useragent.NewParser().Parse(agent)
	browser, os := string(ua.Browser()), string(ua.OS())
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	}
	if len(agent) > 60 {
		agent = agent[:60] + "…"
	}
	return agent
}
