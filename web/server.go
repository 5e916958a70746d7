// Package web is how Hooklab speaks HTTP: echo set-up, middleware, sessions,
// authentication, rendering and the one error handler. It knows none of
// Hooklab's URLs; handlers registers them.
package web

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is what the HTTP layer needs from the command line.
type Config struct {
	// ExternalURL is the instance's public URL; https makes cookies Secure.
	ExternalURL string
	// SessionKeys are the gorilla/sessions hash and block keys (64 and 32 bytes).
	SessionHashKey, SessionBlockKey []byte
	Logger                          *slog.Logger
	// Registry receives the HTTP metrics; nil means none.
	Registry prometheus.Registerer
	// APIPrefix marks requests answered in JSON ("/api/").
	APIPrefix string
	// NoCSRF lists path prefixes exempt from CSRF checks: the token-only API
	// and signed receivers of third-party webhooks.
	NoCSRF []string
	// Auth loads users for sessions and tokens.
	Auth Authenticator
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBody bounds request bodies, e.g. "26MiB" (binary units: "M" is 10⁶).
	MaxBody string
	// TrustedProxies are the networks whose X-Forwarded-For is believed;
	// none means the connection's peer is the client.
	TrustedProxies []*net.IPNet
}

// Server is the HTTP server's shared state.
type Server struct {
	*echo.Echo
	cfg      Config
	sessions *Sessions
	// redactPath hides secrets in logged paths; set once while routes are
	// registered, before serving.
	redactPath func(string) string
}

// New builds the echo instance with Hooklab's middleware in order: recover →
// log → metrics → secure headers → body limit → session → CSRF → auth.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody == "" {
		cfg.MaxBody = "26MiB"
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	s := &Server{Echo: e, cfg: cfg, sessions: NewSessions(cfg.SessionHashKey, cfg.SessionBlockKey, strings.HasPrefix(cfg.ExternalURL, "https://"))}
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			cfg.Logger.Error("panic", "err", err, "path", s.logPath(c.Request().URL.Path), "stack", string(stack))
			return err
		},
	}))
	e.Use(requestLogger(cfg.Logger, s.logPath))
	if cfg.Registry != nil {
		e.Use(metrics(cfg.Registry))
	}
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "strict-origin-when-cross-origin",
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
	}))
	e.Use(middleware.BodyLimit(cfg.MaxBody))
	e.Use(s.sessions.Middleware())
	e.Use(middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper:        s.skipCSRF,
		TokenLookup:    "header:X-CSRF-Token,form:authenticity_token",
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.sessions.secure,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   csrfMaxAge,
		ContextKey:     csrfKey,
		ErrorHandler: func(err error, c echo.Context) error {
			return &echo.HTTPError{Code: http.StatusForbidden, Message: "Your session has expired or the form is stale (missing or invalid CSRF token). Reload the page and try again.", Internal: err}
		},
	}))
	e.Use(s.authenticate)
	return s
}

func (s *Server) skipCSRF(c echo.Context) bool {
	p := c.Request().URL.Path
	for _, prefix := range s.cfg.NoCSRF {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// IsAPI reports whether the request is answered in JSON.
func (s *Server) IsAPI(c echo.Context) bool {
	return s.cfg.APIPrefix != "" && strings.HasPrefix(c.Request().URL.Path, s.cfg.APIPrefix)
}

// Now is the server's clock.
func (s *Server) Now() time.Time { return s.cfg.Now() }

// ExternalURL is the instance's public URL without a trailing slash.
func (s *Server) ExternalURL() string { return strings.TrimSuffix(s.cfg.ExternalURL, "/") }

// Sessions gives handlers the session helpers.
func (s *Server) Sessions() *Sessions { return s.sessions }

// RedactPaths sets how request paths are logged, for routes that carry a
// secret in their path. Call it before serving.
func (s *Server) RedactPaths(fn func(path string) string) { s.redactPath = fn }

func (s *Server) logPath(p string) string {
	if s.redactPath == nil {
		return p
	}
	return s.redactPath(p)
}
