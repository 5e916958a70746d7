package web

import (
	"context"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// requestLogger logs one line per request. Query strings are left out: a
// private_token may travel there; path passes the path through the
// server's redactor, for URLs that hold a secret (invite links).
func requestLogger(l *slog.Logger, path func(string) string) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRemoteIP: true, LogError: true,
		HandleError: true,
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return p == "/-/health" || p == "/-/readiness" || p == "/metrics"
		},
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			attrs := []slog.Attr{
				slog.String("method", v.Method), slog.String("path", path(v.URIPath)), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("ip", v.RemoteIP),
			}
			if v.Error != nil && v.Status >= 500 {
				attrs = append(attrs, slog.String("err", v.Error.Error()))
			}
			l.LogAttrs(context.Background(), level, "request", attrs...)
			return nil
		},
	})
}
