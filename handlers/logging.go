package handlers

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// requestLogger logs every request through the server's slog logger, with
// the same keys everywhere. Query strings are left out: a kiosk URL carries
// its token there. Event streams and health probes log at debug level.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRemoteIP: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			switch {
			case v.Status >= 500:
				level = slog.LevelError
			case quietPath(v.URIPath):
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{
				slog.String("method", v.Method), slog.String("path", v.URIPath), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("remote", v.RemoteIP),
			}
			if p := principalOf(c); p.Name != "" {
				attrs = append(attrs, slog.String("user", p.Name))
			}
			if v.Error != nil && v.Status >= 500 {
				attrs = append(attrs, slog.Any("err", v.Error))
			}
			s.log.LogAttrs(context.Background(), level, "request", attrs...)
			return nil
		},
	})
}

func quietPath(p string) bool {
	return p == "/healthz" || p == "/readyz" || p == "/metrics" || p == "/poll" || p == "/ws" || p == "/events" ||
		strings.HasPrefix(p, "/static/")
}

// logTextMax is how much of a value a client chose (a user name) goes into
// the log: enough to recognise it, too little to flood the disk.
const logTextMax = 64

// logText makes client-chosen text safe to log: at most logTextMax bytes,
// with control, format (bidi override) and invalid bytes escaped.
func logText(s string) string {
	cut := len(s) > logTextMax
	if cut {
		s = s[:logTextMax]
	}
	q := strconv.Quote(s)
	q = q[1 : len(q)-1]
	if cut {
		q += "…"
	}
	return q
}

// clipText cuts s to at most n runes, marking the cut.
func clipText(s string, n int) string {
	if len(s) > 4*n+4 {
		s = s[:4*n+4] // more bytes than n runes can take
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
