package handlers

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// bindJSON decodes a small JSON body strictly; an empty body is an empty object.
//
// A body must be sent as application/json: a cross-site HTML form can only
// send form and text types, so it cannot act through the JSON API even with
// credentials the browser remembers.
func bindJSON(c echo.Context, v any) error {
	req := c.Request()
	if req.ContentLength != 0 {
		mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
		if err != nil || mt != echo.MIMEApplicationJSON {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the body as application/json")
		}
	}
	r := http.MaxBytesReader(c.Response(), req.Body, 16<<10)
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return echo.NewHTTPError(http.StatusBadRequest, "body must be a small JSON object")
	}
	return nil
}

func (s *Server) apiState(c echo.Context) error {
	st, err := s.store.State(c.Request().Context())
	if err != nil {
		return fmt.Errorf("api state: %w", err)
	}
	// Every target is in it (0.8 MB at 500): a screen reads it at start
	// and after a reset, never per event; gzip makes that a few percent.
	if !strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		return c.JSON(http.StatusOK, st)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(st); err != nil {
		return fmt.Errorf("api state: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("api state: %w", err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentEncoding, "gzip")
	h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, buf.Bytes())
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": s.opt.Version})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if pending, err := s.store.PendingMigrations(ctx); err != nil || len(pending) > 0 {
		s.log.Warn("not ready: migrations", "pending", pending, "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "migrations not applied"})
	}
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready: database", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "database not writable"})
	}
	if s.opt.Ready != nil {
		if err := s.opt.Ready(ctx); err != nil {
			s.log.Warn("not ready", "err", err)
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
