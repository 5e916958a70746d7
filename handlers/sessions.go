package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// Failed sign-ins allowed per account and per address before a pause.
const (
	signInAttempts = 10
	signInWindow   = 10 * time.Minute
)

func (h *Handler) signInPage(c echo.Context) error {
	if user(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return web.Render(c, http.StatusOK, views.SignInPage(h.srv.Page(c, "Sign in"), views.SignInForm{}))
}

func (h *Handler) signIn(c echo.Context) error {
	login := strings.TrimSpace(c.FormValue("login"))
	password := c.FormValue("password")
	now := h.srv.Now()
	accountKey, ipKey := "signin:account:"+strings.ToLower(login), "signin:ip:"+c.RealIP()
	fail := func(status int, msg string) error {
		return web.Render(c, status, views.SignInPage(h.srv.Page(c, "Sign in"), views.SignInForm{Login: login, Error: msg}))
	}
	if h.signIns.Blocked(accountKey, signInAttempts, signInWindow, now) || h.signIns.Blocked(ipKey, signInAttempts, signInWindow, now) {
		return fail(http.StatusTooManyRequests, "Too many failed sign-in attempts. Try again later (in about 10 minutes).")
	}
	u, err := h.store.UserByLogin(h.ctx(c), login)
	hash := ""
	if err == nil {
		hash = u.PasswordHash
	} else if !errors.Is(err, model.ErrNotFound) {
		return err
	}
	if login == "" || !db.CheckPassword(hash, password) {
		h.signIns.Allow(accountKey, signInAttempts, signInWindow, now)
		h.signIns.Allow(ipKey, signInAttempts, signInWindow, now)
		return fail(http.StatusUnauthorized, "Invalid login or password.")
	}
	if !u.Active() {
		return fail(http.StatusForbidden, "Your account has been blocked. Contact your administrator.")
	}
	h.signIns.Reset(accountKey)
	if err := h.srv.Sessions().SignIn(c, u.ID, SessionVersion(u)); err != nil {
		return err
	}
	h.log.Info("signed in", "user", u.Username, "ip", c.RealIP())
	return c.Redirect(http.StatusSeeOther, h.srv.Sessions().TakeReturnTo(c, "/"))
}

func (h *Handler) signOut(c echo.Context) error {
	if err := h.srv.Sessions().SignOut(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, signInPath)
}
