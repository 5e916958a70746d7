package web

import (
	"encoding/gob"
	"net/http"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "_hooklab_session"

const (
	sessionKey   = "_session"
	recordKey    = "_session_record"
	keySessionID = "sid"
	keyReturnTo  = "return_to"
)

func init() { gob.Register(views.Flash{}) }

// Sessions keeps signed and encrypted cookie sessions. A signed-in cookie
// carries only the ID of a server-side session record, which the
// Authenticator looks up on every request: ending the record ends the
// session, whatever cookies are still around.
type Sessions struct {
	store  *sessions.CookieStore
	secure bool
}

// NewSessions makes the cookie store: HttpOnly, SameSite=Lax, Secure when
// the instance is served over https, as long as a session lasts unused.
func NewSessions(hashKey, blockKey []byte, secure bool) *Sessions {
	st := sessions.NewCookieStore(hashKey, blockKey)
	st.Options = &sessions.Options{Path: "/", MaxAge: int(model.SessionTTL.Seconds()), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	return &Sessions{store: st, secure: secure}
}

// Middleware loads the session into the context. A cookie that cannot be
// decoded (rotated keys) simply starts a new session.
func (s *Sessions) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			sess, _ := s.store.Get(c.Request(), SessionCookie)
			c.Set(sessionKey, sess)
			return next(c)
		}
	}
}

func session(c echo.Context) *sessions.Session {
	sess, _ := c.Get(sessionKey).(*sessions.Session)
	if sess == nil {
		sess = sessions.NewSession(nil, SessionCookie)
	}
	return sess
}

func (s *Sessions) save(c echo.Context) error {
	return s.store.Save(c.Request(), c.Response(), session(c))
}

// SignIn binds the browser to a server-side session by its raw ID (the
// caller created the record). The CSRF token is replaced too, so that a
// token learnt before signing in is worthless after.
func (s *Sessions) SignIn(c echo.Context, sessionID string) error {
	sess := session(c)
	returnTo, _ := sess.Values[keyReturnTo].(string)
	sess.Values = map[any]any{keySessionID: sessionID}
	if returnTo != "" {
		sess.Values[keyReturnTo] = returnTo
	}
	rotateCSRF(c, s.secure)
	return s.save(c)
}

// SignOut ends the session.
func (s *Sessions) SignOut(c echo.Context) error {
	sess := session(c)
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	return s.save(c)
}

// SessionID is the raw ID of the server-side session the browser's cookie
// names, or "" when it names none.
func SessionID(c echo.Context) string {
	id, _ := session(c).Values[keySessionID].(string)
	return id
}

// CurrentSession is the signed-in browser's session record, or nil (API
// token requests have none).
func CurrentSession(c echo.Context) *model.Session {
	s, _ := c.Get(recordKey).(*model.Session)
	return s
}

// SetReturnTo remembers where to go after signing in (local paths only).
func (s *Sessions) SetReturnTo(c echo.Context, path string) {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return
	}
	session(c).Values[keyReturnTo] = path
	_ = s.save(c)
}

// TakeReturnTo returns and forgets the remembered path, or def.
func (s *Sessions) TakeReturnTo(c echo.Context, def string) string {
	sess := session(c)
	p, _ := sess.Values[keyReturnTo].(string)
	if p == "" {
		return def
	}
	delete(sess.Values, keyReturnTo)
	_ = s.save(c)
	return p
}

// Flash queues a message for the next page (kind: notice, alert, warning).
func (s *Sessions) Flash(c echo.Context, kind, message string) {
	sess := session(c)
	sess.AddFlash(views.Flash{Kind: kind, Message: message})
	_ = s.save(c)
}

// TakeFlashes returns and clears the queued messages.
func (s *Sessions) TakeFlashes(c echo.Context) []views.Flash {
	sess := session(c)
	raw := sess.Flashes()
	if len(raw) == 0 {
		return nil
	}
	_ = s.save(c)
	out := make([]views.Flash, 0, len(raw))
	for _, r := range raw {
		if f, ok := r.(views.Flash); ok {
			out = append(out, f)
		}
	}
	return out
}
