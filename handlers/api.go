package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

func alertID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound, "no such alert")
	}
	return id, nil
}

// alertStates are the filters of the alert list, page and JSON alike.
var alertStates = []string{"active", monitor.StateOpen, monitor.StateAcked, "silenced", monitor.StateResolved, "all"}

// storeFilter turns a state filter into the store's; ok is false for a
// state that is not one of alertStates.
func storeFilter(state string) (f store.AlertFilter, ok bool) {
	if !slices.Contains(alertStates, state) {
		return f, false
	}
	if state == "all" {
		state = ""
	}
	return store.AlertFilter{State: state}, true
}

// ackInput is an acknowledgement as the form and the JSON API send it.
type ackInput struct {
	Comment string `json:"comment"`
}

func (in ackInput) problems(lang string) []string {
	var p []string
	switch {
	case in.Comment == "":
		p = append(p, T(lang, "comment_required"))
	case utf8.RuneCountInString(in.Comment) > store.MaxCommentLen || !utf8.ValidString(in.Comment):
		p = append(p, T(lang, "comment_too_long"))
	}
	return p
}

func checkTestMessage(msg string) error {
	if !utf8.ValidString(msg) || utf8.RuneCountInString(msg) > store.MaxTestMessageLen {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, fmt.Sprintf("message must be valid text of at most %d characters", store.MaxTestMessageLen))
	}
	return nil
}

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
	return c.JSON(http.StatusOK, st)
}

func (s *Server) apiAlerts(c echo.Context) error {
	state := c.QueryParam("state")
	if state == "" {
		state = "all"
	}
	f, ok := storeFilter(state)
	if !ok {
		return echo.NewHTTPError(http.StatusBadRequest, "state must be one of "+strings.Join(alertStates, ", "))
	}
	alerts, err := s.store.Alerts(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]monitor.Alert{"alerts": alerts})
}

func (s *Server) apiAlert(c echo.Context) error {
	id, err := alertID(c)
	if err != nil {
		return err
	}
	a, err := s.store.Alert(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]monitor.Alert{"alert": a})
}

func (s *Server) apiAck(c echo.Context) error {
	id, err := alertID(c)
	if err != nil {
		return err
	}
	var in ackInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if p := in.problems("en"); len(p) > 0 {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, p[0])
	}
	a, err := s.store.Ack(c.Request().Context(), id, principalOf(c).Name, in.Comment)
	if err != nil {
		return err
	}
	s.audit(c, store.AuditAck, fmt.Sprintf("alert %d", id), in.Comment)
	return c.JSON(http.StatusOK, map[string]monitor.Alert{"alert": a})
}

func (s *Server) apiUnack(c echo.Context) error {
	id, err := alertID(c)
	if err != nil {
		return err
	}
	a, err := s.store.Unack(c.Request().Context(), id, principalOf(c).Name)
	if err != nil {
		return err
	}
	s.audit(c, store.AuditUnack, fmt.Sprintf("alert %d", id), "")
	return c.JSON(http.StatusOK, map[string]monitor.Alert{"alert": a})
}

func (s *Server) apiTestAlert(c echo.Context) error {
	var in struct {
		Message string `json:"message"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := checkTestMessage(in.Message); err != nil {
		return err
	}
	a, seq, err := s.store.CreateTestAlert(c.Request().Context(), principalOf(c).Name, in.Message)
	if err != nil {
		return err
	}
	s.audit(c, store.AuditTestAlert, fmt.Sprintf("alert %d", a.ID), in.Message)
	return c.JSON(http.StatusCreated, map[string]any{"alert": a, "seq": seq})
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
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
