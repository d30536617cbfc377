package handlers

import (
	"fmt"
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

// alerts lists the alerts in state, one of alertStates (else 400): the
// list page and the JSON API take the same filters.
func (s *Server) alerts(c echo.Context, state string) ([]monitor.Alert, error) {
	if !slices.Contains(alertStates, state) {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "state must be one of "+strings.Join(alertStates, ", "))
	}
	if state == "all" {
		state = ""
	}
	return s.store.Alerts(c.Request().Context(), store.AlertFilter{State: state})
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

func (s *Server) apiAlerts(c echo.Context) error {
	state := c.QueryParam("state")
	if state == "" {
		state = "all"
	}
	alerts, err := s.alerts(c, state)
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

// ack is the one core of both ack routes: check the comment, then ack
// with its audit row. problems (in lang) are the person's to fix.
func (s *Server) ack(c echo.Context, id int64, in ackInput, lang string) (a monitor.Alert, problems []string, err error) {
	if p := in.problems(lang); len(p) > 0 {
		return a, p, nil
	}
	a, err = s.store.Ack(c.Request().Context(), actorOf(c), id, in.Comment)
	return a, nil, err
}

// testAlert is the one core of both test-alert routes.
func (s *Server) testAlert(c echo.Context, message string) (monitor.Alert, int64, error) {
	if err := checkTestMessage(message); err != nil {
		return monitor.Alert{}, 0, err
	}
	return s.store.CreateTestAlert(c.Request().Context(), actorOf(c), message)
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
	a, p, err := s.ack(c, id, in, "en")
	if len(p) > 0 {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, p[0])
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]monitor.Alert{"alert": a})
}

func (s *Server) apiUnack(c echo.Context) error {
	id, err := alertID(c)
	if err != nil {
		return err
	}
	// No fields, but a body only as JSON, as for ack.
	if err := bindJSON(c, &struct{}{}); err != nil {
		return err
	}
	a, err := s.store.Unack(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]monitor.Alert{"alert": a})
}

func (s *Server) apiTestAlert(c echo.Context) error {
	var in struct {
		Message string `json:"message"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	a, seq, err := s.testAlert(c, in.Message)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"alert": a, "seq": seq})
}

type alertListPage struct {
	base
	State  string
	States []string
	Alerts []monitor.Alert
}

type alertPage struct {
	base
	Alert    monitor.Alert
	History  []historyView
	Problems []string
	Comment  string
}

type historyView struct {
	At     time.Time
	Actor  string
	Action string
	Detail string
}

func (s *Server) alertList(c echo.Context) error {
	state := c.QueryParam("state")
	if state == "" {
		state = "active"
	}
	alerts, err := s.alerts(c, state)
	if err != nil {
		return err
	}
	page := alertListPage{base: s.base(c, T(langOf(c), "alerts")), State: state, Alerts: alerts, States: alertStates}
	page.Page = "alerts"
	return s.render(c, http.StatusOK, "alerts.html", page)
}

func (s *Server) alertDetail(c echo.Context) error {
	id, err := alertID(c)
	if err != nil {
		return err
	}
	return s.renderAlert(c, http.StatusOK, id, "", nil)
}

func (s *Server) renderAlert(c echo.Context, code int, id int64, comment string, problems []string) error {
	ctx := c.Request().Context()
	a, err := s.store.Alert(ctx, id)
	if err != nil {
		return err
	}
	hist, err := s.store.History(ctx, id)
	if err != nil {
		return err
	}
	page := alertPage{base: s.base(c, a.Message), Alert: a, Problems: problems, Comment: comment}
	page.Page = "alert"
	if page.IsAdmin && a.State == monitor.StateOpen {
		page.Refresh = 0 // a reload would throw away a comment being typed
	}
	for _, h := range hist {
		page.History = append(page.History, historyView(h))
	}
	return s.render(c, code, "alert.html", page)
}

func (s *Server) ackForm(c echo.Context) error {
	id, err := alertID(c)
	if err != nil {
		return err
	}
	in := ackInput{Comment: strings.TrimSpace(c.FormValue("comment"))}
	_, p, err := s.ack(c, id, in, langOf(c))
	if len(p) > 0 {
		return s.renderAlert(c, http.StatusUnprocessableEntity, id, in.Comment, p)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/alerts/%d", id))
}

func (s *Server) unackForm(c echo.Context) error {
	id, err := alertID(c)
	if err != nil {
		return err
	}
	if _, err := s.store.Unack(c.Request().Context(), actorOf(c), id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/alerts/%d", id))
}

func (s *Server) testAlertForm(c echo.Context) error {
	a, _, err := s.testAlert(c, strings.TrimSpace(c.FormValue("message")))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/alerts/%d", a.ID))
}
