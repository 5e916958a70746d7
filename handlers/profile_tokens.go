package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
	"github.com/hooklab/hooklab/web"
)

const tokensPath = "/-/profile/personal_access_tokens"

// tokensSection gathers the user's tokens, split into usable and
// revoked/expired ones, around the form f.
func (h *Handler) tokensSection(c echo.Context, f views.TokenForm) (views.TokensSection, error) {
	tokens, err := h.store.Tokens(h.ctx(c), user(c).ID)
	if err != nil {
		return views.TokensSection{}, err
	}
	now := h.srv.Now()
	s := views.TokensSection{Form: f, Now: now, CSRF: web.CSRFToken(c), MinDate: now.UTC().AddDate(0, 0, 1).Format("2006-01-02"),
		Admin: user(c).Admin}
	for _, t := range tokens {
		if t.Active(now) {
			s.Active = append(s.Active, t)
		} else {
			s.Inactive = append(s.Inactive, t)
		}
	}
	return s, nil
}

// renderTokens answers with the whole page, or with the section alone (and
// the flashes out of band) when htmx asked. Token pages are never cached:
// one of them carries a secret shown only once.
func (h *Handler) renderTokens(c echo.Context, status int, s views.TokensSection, flashes ...views.Flash) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if web.IsFragment(c) {
		return web.Render(c, status, templ.Join(views.TokensSectionFragment(s), views.FlashesOOB(flashes)))
	}
	p := h.profilePage(c, "tokens", "Personal access tokens")
	p.Flashes = append(p.Flashes, flashes...)
	return web.Render(c, status, views.TokensPage(p, s))
}

func (h *Handler) listTokens(c echo.Context) error {
	s, err := h.tokensSection(c, views.TokenForm{Scopes: []string{model.ScopeAPI}})
	if err != nil {
		return err
	}
	return h.renderTokens(c, http.StatusOK, s)
}

// createToken shows the new token's secret in this response only: it is
// not stored, not put in the session and not in a redirect, so a reload or
// a later visit cannot show it again.
func (h *Handler) createToken(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return model.BadRequest("the form could not be read")
	}
	in := model.NewTokenInput{Name: form.Get("name"), Scopes: form["scopes[]"], ExpiresAt: strings.TrimSpace(form.Get("expires_at")),
		Admin: user(c).Admin}
	f := views.TokenForm{Name: in.Name, Scopes: in.Scopes, ExpiresAt: in.ExpiresAt}
	raw, t, err := h.store.IssueToken(h.ctx(c), user(c).ID, in)
	if err != nil {
		if f.Errors, err = web.FormErrors(err); err != nil {
			return err
		}
		f.Errors = formSentences(f.Errors, tokenFormFields)
		s, err := h.tokensSection(c, f)
		if err != nil {
			return err
		}
		return h.renderTokens(c, http.StatusUnprocessableEntity, s)
	}
	h.log.Info("personal access token created", "user", user(c).Username, "token_id", t.ID, "scopes", t.Scopes)
	s, err := h.tokensSection(c, views.TokenForm{Scopes: []string{model.ScopeAPI}})
	if err != nil {
		return err
	}
	s.NewToken = raw
	return h.renderTokens(c, http.StatusOK, s, views.Flash{Kind: "notice", Message: "Your new personal access token has been created."})
}

// userToken finds one of the signed-in user's tokens; others' are 404.
func (h *Handler) userToken(c echo.Context) (*model.PersonalAccessToken, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, model.NotFound("Personal Access Token")
	}
	tokens, err := h.store.Tokens(h.ctx(c), user(c).ID)
	if err != nil {
		return nil, err
	}
	for i := range tokens {
		if tokens[i].ID == id {
			return &tokens[i], nil
		}
	}
	return nil, model.NotFound("Personal Access Token")
}

// revokeTokenPage confirms a revocation without JavaScript (with it, the
// list opens the same form in a dialog).
func (h *Handler) revokeTokenPage(c echo.Context) error {
	t, err := h.userToken(c)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.RevokeTokenPage(h.profilePage(c, "tokens", "Revoke token"), *t))
}

func (h *Handler) revokeToken(c echo.Context) error {
	t, err := h.userToken(c)
	if err != nil {
		return err
	}
	if err := h.store.RevokeToken(h.ctx(c), t.UserID, t.ID); err != nil {
		return err
	}
	h.log.Info("personal access token revoked", "user", user(c).Username, "token_id", t.ID)
	h.srv.Flash(c, "notice", "Revoked personal access token "+t.Name+"!")
	return web.Redirect(c, tokensPath)
}
