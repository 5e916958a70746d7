package web

import (
	"bytes"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
)

// Render renders a component into a buffer first, so a template error
// becomes a clean 500 instead of half a page.
func Render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "HX-Request")
	return c.HTMLBlob(status, buf.Bytes())
}

// IsFragment reports whether htmx asked for a fragment rather than a page.
func IsFragment(c echo.Context) bool {
	r := c.Request()
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Boosted") != "true"
}

// Redirect sends the browser on after a successful form: 303 for plain
// forms, HX-Redirect for htmx.
func Redirect(c echo.Context, url string) error {
	if IsFragment(c) {
		c.Response().Header().Set("HX-Redirect", url)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// CSRFToken is the token to put in forms.
func CSRFToken(c echo.Context) string {
	t, _ := c.Get(csrfKey).(string)
	return t
}

// Page builds the layout data of a full page; it takes the queued flashes.
func (s *Server) Page(c echo.Context, title string) views.Page {
	return views.Page{
		Title:       title,
		User:        CurrentUser(c),
		CSRF:        CSRFToken(c),
		Flashes:     s.sessions.TakeFlashes(c),
		Now:         s.Now(),
		ExternalURL: s.ExternalURL(),
	}
}

// Flash queues a message for the next page.
func (s *Server) Flash(c echo.Context, kind, message string) { s.sessions.Flash(c, kind, message) }

// FormErrors turns err into field errors for a re-rendered form, or returns
// it unchanged when it is not a validation error.
func FormErrors(err error) (*model.ValidationError, error) {
	if v, ok := model.AsValidation(err); ok {
		return v, nil
	}
	return nil, err
}
