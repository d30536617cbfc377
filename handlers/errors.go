package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/store"
)

// handleError is the one place errors become responses: store.ErrNotFound →
// 404, ErrConflict → 409, ErrInvalid → 422, ErrUnavailable (a cluster with
// no writer) → 503, an *echo.HTTPError as given,
// anything else → 500 "internal error" with the whole chain in the log only.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "internal error"
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		code = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = strings.ToLower(http.StatusText(code))
		}
	case errors.Is(err, store.ErrNotFound):
		code, msg = http.StatusNotFound, "not found"
	case errors.Is(err, store.ErrConflict):
		code, msg = http.StatusConflict, "the alert is not in a state that allows this"
	case errors.Is(err, store.ErrInvalid):
		code, msg = http.StatusUnprocessableEntity, "invalid input"
	case errors.Is(err, store.ErrUnavailable):
		code, msg = http.StatusServiceUnavailable, "no node of the cluster can take this change now (no writer): try again in a few seconds"
		c.Response().Header().Set("Retry-After", "5")
	}
	if code >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	if isMachinePath(c.Request().URL.Path) || strings.Contains(c.Request().Header.Get("Accept"), "application/json") {
		_ = c.JSON(code, map[string]string{"error": msg})
		return
	}
	page := errorPage{base: s.base(c, http.StatusText(code)), Code: code, Message: msg}
	_ = s.render(c, code, "error.html", page)
}
