package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/hooklab/hooklab/model"
	"github.com/hooklab/hooklab/views"
)

// TokenError is GitLab's answer to an expired or revoked token:
// 401 {"error":"invalid_token","error_description":"Token has expired."}.
type TokenError struct{ Description string }

func (e *TokenError) Error() string { return e.Description }
func (e *TokenError) Unwrap() error { return model.ErrUnauthorized }

// StatusError overrides the status an error kind would get, e.g. 422 for
// hook validation where GitLab's default for validation is 400.
type StatusError struct {
	Status int
	Err    error
}

func (e *StatusError) Error() string { return e.Err.Error() }
func (e *StatusError) Unwrap() error { return e.Err }

// WithStatus wraps err to be answered with status.
func WithStatus(status int, err error) error {
	if err == nil {
		return nil
	}
	return &StatusError{Status: status, Err: err}
}

// JSONError is an API answer written as it is: {"error": "..."} bodies and
// other GitLab shapes that are not {"message": ...}.
type JSONError struct {
	Status int
	Body   any
}

func (e *JSONError) Error() string { return http.StatusText(e.Status) }

// statusOf maps an error kind to its HTTP status.
func statusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	switch {
	case errors.Is(err, model.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, model.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, model.ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, model.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, model.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, model.ErrRateLimited):
		return http.StatusTooManyRequests
	case errors.Is(err, model.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, model.ErrInvalid):
		var v *model.ValidationError
		if errors.As(err, &v) {
			return http.StatusBadRequest // GitLab's render_validation_error! default
		}
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// apiBody is the JSON body GitLab gives for err.
func apiBody(status int, err error) any {
	var v *model.ValidationError
	var te *TokenError
	var me *model.Error
	switch {
	case errors.As(err, &te):
		return map[string]string{"error": "invalid_token", "error_description": te.Description}
	case errors.As(err, &v):
		return map[string]any{"message": v.Map()}
	case errors.As(err, &me):
		return map[string]string{"message": me.Message}
	case status == http.StatusInternalServerError:
		return map[string]string{"message": "500 Internal Server Error"}
	}
	return map[string]string{"message": err.Error()}
}

// handleError is the one error handler: model error kinds become statuses,
// JSON under the API prefix, an HTML page elsewhere. Internal errors are
// logged and shown only as "Internal error".
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	var je *JSONError
	status := statusOf(err)
	message := ""
	switch {
	case errors.As(err, &je):
		if s.IsAPI(c) {
			_ = c.JSON(je.Status, je.Body)
			return
		}
		status = je.Status
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok {
			message = m
		}
	}
	if status >= 500 {
		s.cfg.Logger.Error("internal error", "method", c.Request().Method, "path", s.logPath(c.Request().URL.Path), "err", err)
	}
	if s.IsAPI(c) {
		var body any
		switch {
		case he != nil && status == http.StatusRequestEntityTooLarge:
			body = map[string]string{"message": "413 Request Entity Too Large"}
		case he != nil && status == http.StatusNotFound:
			body = map[string]string{"error": "404 Not Found"}
		case he != nil && status < 500:
			body = map[string]string{"message": message}
		default:
			body = apiBody(status, err)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(status)
			return
		}
		_ = c.JSON(status, body)
		return
	}
	heading, text := pageError(status, err, message)
	p := s.Page(c, heading)
	if IsFragment(c) {
		// htmx does not swap error responses; show the message as a flash.
		_ = Render(c, status, views.FlashesOOB([]views.Flash{{Kind: "alert", Message: text}}))
		return
	}
	_ = Render(c, status, views.ErrorPage(p, status, heading, text))
}

func pageError(status int, err error, message string) (heading, text string) {
	var me *model.Error
	userMessage := message
	if userMessage == "" && errors.As(err, &me) && status < 500 {
		userMessage = me.Message
	}
	switch status {
	case http.StatusNotFound:
		return "Page not found", "The page could not be found or you don't have permission to view it."
	case http.StatusForbidden:
		if userMessage == "" {
			userMessage = "You don't have the permission to do this."
		}
		return "Access denied", userMessage
	case http.StatusTooManyRequests:
		if userMessage == "" {
			userMessage = "This endpoint has been requested too many times. Try again later."
		}
		return "Too many requests", userMessage
	case http.StatusRequestEntityTooLarge:
		return "Request too large", "The request is larger than this server accepts."
	case http.StatusUnauthorized:
		return "Sign in required", "Sign in to continue."
	}
	if status >= 500 {
		return "Internal error", "Something went wrong on our side. The error was logged; try again later."
	}
	if userMessage == "" {
		userMessage = http.StatusText(status)
	}
	return http.StatusText(status), userMessage
}
