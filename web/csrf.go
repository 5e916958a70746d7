package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// The CSRF token lives in its own cookie, set by echo's CSRF middleware
// (configured in New).
const (
	csrfKey    = "csrf"
	csrfCookie = "_hooklab_csrf"
	csrfMaxAge = 7 * 24 * 3600
)

// rotateCSRF replaces the CSRF token the middleware set on this response
// with a fresh one, as Rails does at sign-in: a token planted or read
// before signing in must not be good for the signed-in session.
func rotateCSRF(c echo.Context, secure bool) {
	h := c.Response().Header()
	kept := []string{}
	for _, v := range h.Values("Set-Cookie") {
		if !strings.HasPrefix(v, csrfCookie+"=") {
			kept = append(kept, v)
		}
	}
	h.Del("Set-Cookie")
	for _, v := range kept {
		h.Add("Set-Cookie", v)
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: token, Path: "/", Expires: time.Now().Add(csrfMaxAge * time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	c.Set(csrfKey, token)
}
