package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/db"
	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/web"
)

// apiMetadata answers GET /metadata and GET /version in GitLab's metadata
// shape: a semantic version, the revision, and no KAS (GitLab's agent
// server), which Hooklab does not have.
func (h *Handler) apiMetadata(c echo.Context) error {
	type kas struct {
		Enabled             bool    `json:"enabled"`
		ExternalURL         *string `json:"externalUrl"`
		ExternalK8sProxyURL *string `json:"externalK8sProxyUrl"`
		Version             *string `json:"version"`
	}
	return c.JSON(http.StatusOK, struct {
		Version    string `json:"version"`
		Revision   string `json:"revision"`
		KAS        kas    `json:"kas"`
		Enterprise bool   `json:"enterprise"`
	}{Version: h.cfg.Version, Revision: h.cfg.Revision, Enterprise: false})
}

func (h *Handler) apiCurrentUser(c echo.Context) error {
	u := user(c)
	return c.JSON(http.StatusOK, h.userEntity(u, u))
}

func (h *Handler) apiListUsers(c echo.Context) error {
	pg, err := web.Paginate(c)
	if err != nil {
		return err
	}
	viewer := user(c)
	users, total, err := h.store.Users(h.ctx(c), db.UserFilter{
		Search: c.QueryParam("search"), SearchEmails: viewer.Admin, Username: c.QueryParam("username"),
		Page: db.Page{Page: pg.Page, PerPage: pg.PerPage},
	})
	if err != nil {
		return err
	}
	out := make([]apiUser, 0, len(users))
	for i := range users {
		out = append(out, h.userEntity(&users[i], viewer))
	}
	web.SetPageHeaders(c, h.cfg.ExternalURL, pg, total)
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) apiGetUser(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return model.NotFound("User")
	}
	u, err := h.store.User(h.ctx(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.userEntity(u, user(c)))
}

// apiCreateUser is the admin-only POST /users.
func (h *Handler) apiCreateUser(c echo.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	var missing []string
	for _, k := range []string{"email", "name", "username"} {
		if s, _ := p.String(k); strings.TrimSpace(s) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return &web.JSONError{Status: http.StatusBadRequest, Body: map[string]string{"error": strings.Join(missing, ", ") + " is missing"}}
	}
	in := model.NewUserInput{}
	in.Email, _ = p.String("email")
	in.Name, _ = p.String("name")
	in.Username, _ = p.String("username")
	in.Password, _ = p.String("password")
	if in.Admin, _, err = p.Bool("admin"); err != nil {
		return err
	}
	u, err := h.store.RegisterUser(h.ctx(c), in)
	if err != nil {
		return apiUserError(err)
	}
	return c.JSON(http.StatusCreated, h.userEntity(u, user(c)))
}

// apiUserError answers a taken username or e-mail with GitLab's 409.
func apiUserError(err error) error {
	v, ok := model.AsValidation(err)
	if !ok {
		return err
	}
	for _, e := range v.Errors {
		if e.Message == "has already been taken" {
			return model.Conflict("%s", model.FullMessage(e.Field, e.Message))
		}
	}
	return err
}
