// Package handlers says what each of Hooklab's URLs does. routes.go holds
// the whole URL map; pages, htmx fragments and /api/v4 JSON handlers live
// in separate files per resource.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/web"
)

// Mailer sends e-mail (SMTP, or the log when no SMTP server is set).
type Mailer interface {
	Send(ctx context.Context, m model.Mail) error
}

// Config is what handlers need to know about the running instance.
type Config struct {
	// Version is a semantic version (GitLab clients compare it); Revision
	// the commit it was built from.
	Version     string
	Revision    string
	ExternalURL string
}

// Deps are the collaborators handlers call.
type Deps struct {
	Store  *db.Store
	Mailer Mailer
	Logger *slog.Logger
	// Publisher stores published events and wakes delivery.
	Publisher Publisher
	// Runner sends Test and Resend requests.
	Runner HookRunner
	// Ready reports whether the instance may take traffic (readiness).
	Ready func(ctx context.Context) error
	// Resolver resolves hook URLs' hosts for the save-time public-URL
	// check; nil means net.DefaultResolver.
	Resolver Resolver
	// Limiter keeps the sign-in, password, mail and Test/Resend limits;
	// nil means in this process's memory (one instance). Instances sharing
	// a database share it through web.NewSharedLimiter.
	Limiter web.Limiter
}

// Handler serves every URL.
type Handler struct {
	srv       *web.Server
	store     *db.Store
	mail      Mailer
	log       *slog.Logger
	cfg       Config
	ready     func(ctx context.Context) error
	signIns   web.Limiter
	resolve   Resolver
	publisher Publisher
	runner    HookRunner
	// hookCalls limits Test and Resend per user and hook parent.
	hookCalls web.Limiter
}

// New makes the handlers and registers every route on srv.
func New(srv *web.Server, cfg Config, deps Deps) *Handler {
	h := &Handler{
		srv: srv, store: deps.Store, mail: deps.Mailer, log: deps.Logger, cfg: cfg,
		ready: deps.Ready, signIns: deps.Limiter, resolve: deps.Resolver, publisher: deps.Publisher,
		runner: deps.Runner, hookCalls: deps.Limiter,
	}
	if deps.Limiter == nil {
		h.signIns, h.hookCalls = web.NewLocalLimiter(), web.NewLocalLimiter()
	}
	if h.resolve == nil {
		h.resolve = net.DefaultResolver
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.ready == nil {
		h.ready = deps.Store.Ping
	}
	srv.RedactPaths(redactLogPath)
	h.routes(srv.Echo)
	return h
}

// Authenticator loads users for web sessions and API tokens.
type Authenticator struct {
	Store *db.Store
	Now   func() time.Time
}

// SessionUser implements web.Authenticator: the session must still be in
// the database (sign-out, revoking, blocking and password changes delete
// it) and its user active. Its last-seen time, address and browser are
// refreshed at most once a minute.
func (a Authenticator) SessionUser(ctx context.Context, sessionID, ip, userAgent string) (*model.User, *model.Session, error) {
	s, err := a.Store.SessionByRaw(ctx, sessionID)
	if err != nil {
		return nil, nil, err
	}
	u, err := a.Store.User(ctx, s.UserID)
	if err != nil {
		return nil, nil, err
	}
	if !u.Active() {
		return nil, nil, model.ErrUnauthorized
	}
	if now := a.now(); now.Sub(s.LastSeenAt) >= model.SessionTouchInterval || s.IP != ip || s.UserAgent != userAgent {
		if err := a.Store.TouchSession(ctx, s.ID, ip, userAgent); err != nil {
			return nil, nil, err
		}
		s.LastSeenAt, s.IP, s.UserAgent = now, ip, userAgent
	}
	return u, s, nil
}

func (a Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// SudoUser implements web.Authenticator with GitLab's answer for a user
// that is not there.
func (a Authenticator) SudoUser(ctx context.Context, identifier string) (*model.User, error) {
	var (
		u   *model.User
		err error
	)
	if id, perr := strconv.ParseInt(identifier, 10, 64); perr == nil {
		u, err = a.Store.User(ctx, id)
	} else {
		u, err = a.Store.UserByUsername(ctx, identifier)
	}
	if errors.Is(err, model.ErrNotFound) {
		return nil, model.NotFound(fmt.Sprintf("User with ID or username '%s'", identifier))
	}
	return u, err
}

// TokenUser implements web.Authenticator with GitLab's answers for bad tokens.
func (a Authenticator) TokenUser(ctx context.Context, raw string) (*model.User, *model.PersonalAccessToken, error) {
	t, u, err := a.Store.TokenWithUser(ctx, raw)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil, &model.Error{Kind: model.ErrUnauthorized, Message: "401 Unauthorized"}
	}
	if err != nil {
		return nil, nil, err
	}
	now := a.now()
	switch {
	case t.Revoked:
		return nil, nil, &web.TokenError{Description: "Token has been revoked."}
	case t.Expired(now):
		return nil, nil, &web.TokenError{Description: "Token has expired."}
	}
	if !u.Active() {
		return nil, nil, model.Forbidden("403 Forbidden - Your account has been blocked.")
	}
	if err := a.Store.TouchToken(ctx, t); err != nil {
		return nil, nil, err
	}
	return u, t, nil
}

// user is the signed-in user; routes behind RequireUser always have one.
func user(c echo.Context) *model.User { return web.CurrentUser(c) }

func (h *Handler) ctx(c echo.Context) context.Context { return c.Request().Context() }
