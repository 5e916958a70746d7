package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

// Failed sign-ins allowed per client address before a pause. Each account
// is protected by its own lockout (model.MaxFailedSignIns), kept in the
// database.
const (
	signInAttempts = 10
	signInWindow   = 10 * time.Minute
)

// accountLocked is what a locked account's sign-in answers; the first
// sentence is GitLab's.
const accountLocked = "Your account is locked. Try again in 10 minutes, or ask an administrator to unlock it."

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
	ctx := h.ctx(c)
	ipKey := "signin:ip:" + c.RealIP()
	fail := func(status int, msg string) error {
		return web.Render(c, status, views.SignInPage(h.srv.Page(c, "Sign in"), views.SignInForm{Login: login, Error: msg}))
	}
	u, err := h.store.UserByLogin(ctx, login)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return err
	}
	found := err == nil
	// A locked account stays locked whatever password is tried.
	if found && u.Locked(now) {
		return fail(http.StatusForbidden, accountLocked)
	}
	if blocked, err := h.signIns.Blocked(ctx, ipKey, signInAttempts, signInWindow, now); err != nil {
		return err
	} else if blocked {
		return fail(http.StatusTooManyRequests, "Too many failed sign-in attempts. Try again later (in about 10 minutes).")
	}
	hash := ""
	if found {
		hash = u.PasswordHash
	}
	if login == "" || !db.CheckPassword(hash, password) {
		if _, err := h.signIns.Allow(ctx, ipKey, signInAttempts, signInWindow, now); err != nil {
			return err
		}
		if found {
			locked, err := h.store.RecordFailedSignIn(ctx, u.ID)
			if err != nil {
				return err
			}
			if locked {
				h.log.Warn("account locked after failed sign-ins", "user", u.Username, "attempts", model.MaxFailedSignIns, "ip", c.RealIP())
				h.sendLockedMail(c, u, now)
				return fail(http.StatusForbidden, accountLocked)
			}
		}
		return fail(http.StatusUnauthorized, "Invalid login or password.")
	}
	if !u.Active() {
		return fail(http.StatusForbidden, "Your account has been blocked. Contact your administrator.")
	}
	if u.FailedAttempts > 0 || u.LockedAt != nil {
		if err := h.store.UnlockUser(ctx, u.ID); err != nil {
			return err
		}
	}
	if err := h.startSession(c, u); err != nil {
		return err
	}
	h.log.Info("signed in", "user", u.Username, "ip", c.RealIP())
	return c.Redirect(http.StatusSeeOther, h.srv.Sessions().TakeReturnTo(c, "/"))
}

// signOut deletes the session record, so that a copy of the cookie signs
// no one in, and clears the cookie.
func (h *Handler) signOut(c echo.Context) error {
	if id := web.SessionID(c); id != "" {
		if err := h.store.DeleteSessionByRaw(h.ctx(c), id); err != nil {
			return err
		}
	}
	if err := h.srv.Sessions().SignOut(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, signInPath)
}

// startSession signs the browser in as u with a new server-side session
// (a session it had before is ended: a fresh ID at every sign-in).
func (h *Handler) startSession(c echo.Context, u *model.User) error {
	ctx := h.ctx(c)
	if old := web.SessionID(c); old != "" {
		if err := h.store.DeleteSessionByRaw(ctx, old); err != nil {
			return err
		}
	}
	id, _, err := h.store.CreateSession(ctx, u.ID, c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	return h.srv.Sessions().SignIn(c, id)
}

// sendLockedMail tells the user their account was locked, so that someone
// guessing their password does not go unnoticed. A failure is logged; the
// lock holds either way.
func (h *Handler) sendLockedMail(c echo.Context, u *model.User, now time.Time) {
	if h.mail == nil {
		return
	}
	m := model.Mail{
		To:      u.Email,
		Subject: "Your account has been locked",
		Body: "Hello " + u.Name + ",\n\n" +
			"Your Hooklab account " + u.Username + " was locked after " + strconv.Itoa(model.MaxFailedSignIns) +
			" failed sign-in attempts in a row.\n" +
			"It unlocks by itself at " + now.Add(model.LockDuration).UTC().Format("2006-01-02 15:04 MST") + " (in 10 minutes), or sooner when an administrator unlocks it.\n\n" +
			"If these attempts were not yours, someone may be guessing your password: once you are signed in again,\n" +
			"choose a new, long password under User settings → Password.\n",
	}
	if err := h.mail.Send(h.ctx(c), m); err != nil {
		h.log.Error("send account locked email", "user", u.Username, "err", err)
	}
}
