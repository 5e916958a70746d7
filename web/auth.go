package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
)

// Authenticator loads the user behind a session or an API token.
type Authenticator interface {
	// SessionUser returns the user and the server-side session of a
	// cookie's raw session ID, noting that it was used from ip with
	// userAgent; an error when the session ended or expired, or the user
	// is gone or blocked.
	SessionUser(ctx context.Context, sessionID, ip, userAgent string) (*model.User, *model.Session, error)
	// TokenUser returns the user and token for a raw personal access token.
	TokenUser(ctx context.Context, raw string) (*model.User, *model.PersonalAccessToken, error)
	// SudoUser returns the user a Sudo header or sudo parameter names: by
	// ID when it is a number, else by username.
	SudoUser(ctx context.Context, identifier string) (*model.User, error)
}

const (
	userKey  = "user"
	tokenKey = "token"
)

// authenticate puts the current user in the context: from the token under
// the API prefix, from the session elsewhere. It never rejects; guards do.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.Auth == nil {
			return next(c)
		}
		ctx := c.Request().Context()
		if s.IsAPI(c) {
			raw := apiToken(c.Request())
			if raw == "" {
				return next(c)
			}
			u, t, err := s.cfg.Auth.TokenUser(ctx, raw)
			if err != nil {
				return err
			}
			if id := sudoIdentifier(c); id != "" {
				if u, err = s.sudo(c, u, t, id); err != nil || u == nil {
					return err
				}
			}
			c.Set(userKey, u)
			c.Set(tokenKey, t)
			return next(c)
		}
		if id := SessionID(c); id != "" {
			u, rec, err := s.cfg.Auth.SessionUser(ctx, id, c.RealIP(), c.Request().UserAgent())
			if err != nil {
				if !errors.Is(err, model.ErrNotFound) && !errors.Is(err, model.ErrUnauthorized) {
					return err
				}
				_ = s.sessions.SignOut(c)
			} else {
				c.Set(userKey, u)
				c.Set(recordKey, rec)
			}
		}
		return next(c)
	}
}

// sudoIdentifier is the user an API request asks to act as: GitLab's Sudo
// header, or the sudo parameter (query string or form body).
func sudoIdentifier(c echo.Context) string {
	if v := c.Request().Header.Get("Sudo"); v != "" {
		return strings.TrimSpace(v)
	}
	if v := c.QueryParam("sudo"); v != "" {
		return strings.TrimSpace(v)
	}
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
		return strings.TrimSpace(c.FormValue("sudo"))
	}
	return ""
}

// sudo is GitLab's impersonation (API::Helpers#sudo!): only an
// administrator, only with a token that has the sudo scope, may act as
// another user. It returns the user to act as, or nil when it has answered
// the request itself.
func (s *Server) sudo(c echo.Context, u *model.User, t *model.PersonalAccessToken, identifier string) (*model.User, error) {
	if !u.Admin {
		return nil, model.Forbidden("403 Forbidden - Must be admin to use sudo")
	}
	if !t.HasScope(model.ScopeSudo) {
		return nil, insufficientScope(c, model.ScopeSudo)
	}
	return s.cfg.Auth.SudoUser(c.Request().Context(), identifier)
}

// insufficientScope is GitLab's answer to a token without the scope a
// request needs.
func insufficientScope(c echo.Context, scope string) error {
	return c.JSON(http.StatusForbidden, map[string]string{
		"error":             "insufficient_scope",
		"error_description": "The request requires higher privileges than provided by the access token.",
		"scope":             scope,
	})
}

// apiToken finds a personal access token the ways GitLab accepts one.
func apiToken(r *http.Request) string {
	if t := r.Header.Get("PRIVATE-TOKEN"); t != "" {
		return strings.TrimSpace(t)
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "Bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return r.URL.Query().Get("private_token")
}

// CurrentUser is the signed-in user, or nil.
func CurrentUser(c echo.Context) *model.User {
	u, _ := c.Get(userKey).(*model.User)
	return u
}

// CurrentToken is the API token of the request, or nil.
func CurrentToken(c echo.Context) *model.PersonalAccessToken {
	t, _ := c.Get(tokenKey).(*model.PersonalAccessToken)
	return t
}

// RequireUser lets only signed-in users through: pages redirect to the
// sign-in page (remembering where they were going), the API answers 401.
func (s *Server) RequireUser(signInPath string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if CurrentUser(c) != nil {
				return next(c)
			}
			if s.IsAPI(c) {
				return &model.Error{Kind: model.ErrUnauthorized, Message: "401 Unauthorized"}
			}
			if r := c.Request(); isPageNavigation(r) {
				// From the decoded path: the router folds a project's full
				// path into one escaped segment (acme%2Fapi), which is not
				// the address the user opened.
				u := url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery}
				s.sessions.SetReturnTo(c, u.RequestURI())
			}
			return Redirect(c, signInPath)
		}
	}
}

// isPageNavigation reports whether a signed-out request is a person opening a
// page, the only kind worth returning to after signing in. The browser's own
// requests (favicon, images, scripts), htmx fragments and fetches that do
// not want HTML would otherwise overwrite the real target and land the user
// on "Page not found" right after signing in.
func isPageNavigation(r *http.Request) bool {
	if r.Method != http.MethodGet || r.Header.Get("HX-Request") != "" {
		return false
	}
	// Browsers always send Accept; one without text/html is an image,
	// script or fetch. (No Accept at all is a simple client: allowed.)
	if a := r.Header.Get("Accept"); a != "" && !strings.Contains(a, "text/html") {
		return false
	}
	// Browsers set Sec-Fetch-Dest; "document" is a top-level navigation.
	if d := r.Header.Get("Sec-Fetch-Dest"); d != "" && d != "document" {
		return false
	}
	switch strings.ToLower(path.Ext(r.URL.Path)) {
	case ".ico", ".png", ".svg", ".gif", ".jpg", ".jpeg", ".webp", ".css", ".js", ".map":
		return false
	}
	return true
}

// RequireScope checks the API token grants the scope the request needs:
// read_api (or api) to read, api to change anything.
func RequireScope(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		t := CurrentToken(c)
		if t == nil {
			return next(c)
		}
		need := model.ScopeAPI
		if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead {
			need = model.ScopeReadAPI
		}
		if !t.HasScope(need) {
			return insufficientScope(c, need)
		}
		return next(c)
	}
}

// RequireAdmin lets only administrators through; others get 404 (pages) or
// 403 (API), as GitLab does.
func (s *Server) RequireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := CurrentUser(c); u != nil && u.Admin {
			return next(c)
		}
		if s.IsAPI(c) {
			return model.Forbidden("403 Forbidden")
		}
		return model.NotFound("Page")
	}
}
