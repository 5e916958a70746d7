package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// health says the process is up.
func (h *Handler) health(c echo.Context) error {
	return c.String(http.StatusOK, "GitLab OK")
}

// readiness says whether the store answers, in GitLab's shape.
func (h *Handler) readiness(c echo.Context) error {
	if err := h.ready(h.ctx(c)); err != nil {
		h.log.Error("readiness check failed", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]any{
			"status": "failed", "db_check": []map[string]string{{"status": "failed", "message": "database unavailable"}},
		})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ok", "db_check": []map[string]string{{"status": "ok"}}})
}
