package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/web"
)

// apiToken is GitLab's PersonalAccessToken entity; Token is set only in
// the answer that creates or rotates it.
type apiToken struct {
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	Revoked     bool         `json:"revoked"`
	CreatedAt   web.APITime  `json:"created_at"`
	Description *string      `json:"description"`
	Scopes      []string     `json:"scopes"`
	UserID      int64        `json:"user_id"`
	LastUsedAt  *web.APITime `json:"last_used_at"`
	Active      bool         `json:"active"`
	ExpiresAt   *string      `json:"expires_at"`
	Token       string       `json:"token,omitempty"`
}

func (h *Handler) tokenEntity(t *model.PersonalAccessToken) apiToken {
	scopes := t.ScopeList()
	if scopes == nil {
		scopes = []string{}
	}
	return apiToken{ID: t.ID, Name: t.Name, Revoked: t.Revoked, CreatedAt: web.APITime(t.CreatedAt), Scopes: scopes,
		UserID: t.UserID, LastUsedAt: web.APITimePtr(t.LastUsedAt), Active: t.Active(h.srv.Now()), ExpiresAt: apiDate(t.ExpiresAt)}
}

// apiListTokens is GET /personal_access_tokens: the user's own tokens, or
// for administrators everyone's (user_id narrows), filtered by state,
// revoked and search.
func (h *Handler) apiListTokens(c echo.Context) error {
	pg, err := web.Paginate(c)
	if err != nil {
		return err
	}
	p, err := readParams(c)
	if err != nil {
		return err
	}
	me := user(c)
	f := db.TokenFilter{Now: h.srv.Now(), Page: db.Page{Page: pg.Page, PerPage: pg.PerPage}}
	if !me.Admin {
		f.UserID = me.ID
	}
	if id, ok, err := p.Int64("user_id"); err != nil {
		return err
	} else if ok {
		if !me.Admin && id != me.ID {
			return model.Forbidden("403 Forbidden")
		}
		f.UserID = id
	}
	if s, ok := p.String("state"); ok {
		if s != "active" && s != "inactive" {
			return notValidValue("state")
		}
		f.State = s
	}
	if r, ok, err := p.Bool("revoked"); err != nil {
		return err
	} else if ok {
		f.Revoked = &r
	}
	f.Search, _ = p.String("search")
	tokens, total, err := h.store.ListTokens(h.ctx(c), f)
	if err != nil {
		return err
	}
	out := make([]apiToken, 0, len(tokens))
	for i := range tokens {
		out = append(out, h.tokenEntity(&tokens[i]))
	}
	web.SetPageHeaders(c, h.cfg.ExternalURL, pg, total)
	return c.JSON(http.StatusOK, out)
}

// errTokenNotFound is GitLab's answer for a token that is not there or not
// the user's.
var errTokenNotFound = model.NotFound("Personal Access Token")

// apiTokenParam finds the token of the path: "self" is the token of the
// request; another user's token is 404 unless the user is an
// administrator.
func (h *Handler) apiTokenParam(c echo.Context) (*model.PersonalAccessToken, error) {
	if c.Param("id") == "" {
		t := web.CurrentToken(c)
		if t == nil {
			return nil, &model.Error{Kind: model.ErrUnauthorized, Message: "401 Unauthorized"}
		}
		return h.store.Token(h.ctx(c), t.ID) // as stored, not as cached
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, errTokenNotFound
	}
	t, err := h.store.Token(h.ctx(c), id)
	if err != nil {
		return nil, err
	}
	if me := user(c); !me.Admin && t.UserID != me.ID {
		return nil, errTokenNotFound
	}
	return t, nil
}

// apiGetToken is GET /personal_access_tokens/:id and /self.
func (h *Handler) apiGetToken(c echo.Context) error {
	t, err := h.apiTokenParam(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.tokenEntity(t))
}

// apiRevokeToken is DELETE /personal_access_tokens/:id and /self: 204, or
// GitLab's 400 for a token already revoked.
func (h *Handler) apiRevokeToken(c echo.Context) error {
	t, err := h.apiTokenParam(c)
	if err != nil {
		return err
	}
	if t.Revoked {
		return model.BadRequest("400 Bad request - Token already revoked")
	}
	if err := h.store.RevokeToken(h.ctx(c), t.UserID, t.ID); err != nil {
		return err
	}
	h.log.Info("personal access token revoked", "user", user(c).Username, "token_id", t.ID)
	return c.NoContent(http.StatusNoContent)
}

// tokenRotationPeriod is how long a rotated token lasts when the request
// names no expiry, as in GitLab.
const tokenRotationPeriod = 7 * 24 * time.Hour

// apiRotateToken is POST /personal_access_tokens/:id/rotate and
// /self/rotate: the token is revoked and a successor with the same name
// and scopes is returned, with its secret, this once.
func (h *Handler) apiRotateToken(c echo.Context) error {
	t, err := h.apiTokenParam(c)
	if err != nil {
		return err
	}
	p, err := readParams(c)
	if err != nil {
		return err
	}
	now := h.srv.Now()
	expires := now.UTC().Add(tokenRotationPeriod).Truncate(24 * time.Hour)
	if s, ok := p.String("expires_at"); ok && s != "" {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return invalidParam("expires_at")
		}
		if !d.After(now) {
			return model.BadRequest("400 Bad request - Expiration date must be in the future")
		}
		expires = d
	}
	if !t.Active(now) {
		return model.BadRequest("400 Bad request - Token already revoked")
	}
	raw, n, err := h.store.RotateToken(h.ctx(c), t, &expires)
	if err != nil {
		return err
	}
	h.log.Info("personal access token rotated", "user", user(c).Username, "token_id", t.ID, "new_token_id", n.ID)
	e := h.tokenEntity(n)
	e.Token = raw
	return c.JSON(http.StatusOK, e)
}

// apiCreateUserToken is the admin-only POST /users/:id/personal_access_tokens.
func (h *Handler) apiCreateUserToken(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return model.NotFound("User")
	}
	u, err := h.store.User(h.ctx(c), id)
	if err != nil {
		return err
	}
	p, err := readParams(c)
	if err != nil {
		return err
	}
	var missing []string
	name, _ := p.String("name")
	if strings.TrimSpace(name) == "" {
		missing = append(missing, "name")
	}
	scopes, _ := p.StringList("scopes")
	if len(scopes) == 0 {
		missing = append(missing, "scopes")
	}
	if len(missing) > 0 {
		return &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": strings.Join(missing, ", ") + " is missing"}}
	}
	in := model.NewTokenInput{Name: name, Scopes: scopes, Admin: u.Admin}
	in.ExpiresAt, _ = p.String("expires_at")
	raw, t, err := h.store.IssueToken(h.ctx(c), u.ID, in)
	if err != nil {
		if v, ok := model.AsValidation(err); ok {
			return model.BadRequest("400 Bad request - %s", v.Error())
		}
		return err
	}
	h.log.Info("personal access token created", "user", user(c).Username, "for", u.Username, "token_id", t.ID, "scopes", t.Scopes)
	e := h.tokenEntity(t)
	e.Token = raw
	return c.JSON(http.StatusCreated, e)
}
