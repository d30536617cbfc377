package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// silenceInput is a maintenance window as the form and the JSON API send it.
// The form gives a start (empty: now) and a duration; JSON gives start and end.
type silenceInput struct {
	Target   string    `json:"target"`
	Group    string    `json:"group"`
	Rule     string    `json:"rule"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Comment  string    `json:"comment"`
	Duration string    `json:"-"`
}

func (in silenceInput) silence(creator string, now time.Time) (monitor.Silence, error) {
	start, end := in.Start, in.End
	if start.IsZero() {
		start = now
	}
	if in.Duration != "" {
		d, err := time.ParseDuration(in.Duration)
		if err != nil || d <= 0 {
			return monitor.Silence{}, echo.NewHTTPError(http.StatusUnprocessableEntity, "duration must be like 30m or 2h")
		}
		end = start.Add(d)
	}
	s := monitor.Silence{Target: in.Target, Group: in.Group, Rule: in.Rule, Start: start, End: end, Comment: in.Comment, Creator: creator}
	return s, nil
}

type silencesPage struct {
	base
	Silences []monitor.Silence
	Problems []string
	Input    silenceInput
	Now      time.Time
	Rules    []string
}

func (s *Server) silencesPage(c echo.Context) error {
	return s.renderSilences(c, http.StatusOK, silenceInput{Duration: "1h"}, nil)
}

func (s *Server) renderSilences(c echo.Context, code int, in silenceInput, problems []string) error {
	list, err := s.store.Silences(c.Request().Context(), false)
	if err != nil {
		return err
	}
	page := silencesPage{base: s.base(c, T(langOf(c), "silences")), Silences: list, Problems: problems, Input: in, Now: s.opt.Now(),
		Rules: []string{monitor.RuleProcessStatus, monitor.RuleLag, monitor.RuleCheckpointAge, monitor.RuleManagerDown,
			monitor.RuleOGGError, monitor.RuleUnreachable, monitor.RuleLagGrowing, monitor.RuleFlapping, monitor.RuleStarting,
			monitor.RuleGroupGone, monitor.RuleGroupNew, monitor.RuleCredentials, monitor.RuleParserBlind}}
	page.Page = "silences"
	if page.IsAdmin {
		page.Refresh = 0 // a reload would throw away a silence being typed
	}
	return s.render(c, code, "silences.html", page)
}

func (s *Server) silenceForm(c echo.Context) error {
	in := silenceInput{Target: strings.TrimSpace(c.FormValue("target")), Group: strings.TrimSpace(c.FormValue("group")),
		Rule: strings.TrimSpace(c.FormValue("rule")), Comment: strings.TrimSpace(c.FormValue("comment")),
		Duration: strings.TrimSpace(c.FormValue("duration"))}
	sl, err := in.silence(principalOf(c).Name, s.opt.Now())
	if err == nil {
		sl, err = s.store.CreateSilence(c.Request().Context(), sl)
	}
	if err != nil {
		if errors.Is(err, store.ErrInvalid) || isUnprocessable(err) {
			return s.renderSilences(c, http.StatusUnprocessableEntity, in, []string{problemText(err)})
		}
		return err
	}
	s.audit(c, store.AuditSilence, silenceSubject(sl.ID), silenceDetail(sl))
	return c.Redirect(http.StatusSeeOther, "/silences")
}

func (s *Server) expireSilenceForm(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "no such silence")
	}
	if err := s.store.ExpireSilence(c.Request().Context(), id); err != nil {
		return err
	}
	s.audit(c, store.AuditSilenceExpire, silenceSubject(id), "")
	return c.Redirect(http.StatusSeeOther, "/silences")
}

func (s *Server) apiSilences(c echo.Context) error {
	list, err := s.store.Silences(c.Request().Context(), c.QueryParam("all") == "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]monitor.Silence{"silences": list})
}

func (s *Server) apiCreateSilence(c echo.Context) error {
	var in silenceInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	sl, err := in.silence(principalOf(c).Name, s.opt.Now())
	if err != nil {
		return err
	}
	sl, err = s.store.CreateSilence(c.Request().Context(), sl)
	if errors.Is(err, store.ErrInvalid) {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, problemText(err))
	}
	if err != nil {
		return err
	}
	s.audit(c, store.AuditSilence, silenceSubject(sl.ID), silenceDetail(sl))
	return c.JSON(http.StatusCreated, map[string]monitor.Silence{"silence": sl})
}

func (s *Server) apiExpireSilence(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "no such silence")
	}
	if err := s.store.ExpireSilence(c.Request().Context(), id); err != nil {
		return err
	}
	s.audit(c, store.AuditSilenceExpire, silenceSubject(id), "")
	return c.NoContent(http.StatusNoContent)
}

func isUnprocessable(err error) bool {
	var he *echo.HTTPError
	return errors.As(err, &he) && he.Code == http.StatusUnprocessableEntity
}

// problemText is the user-facing part of a validation error: our own
// wording, never a wrapped internal error.
func problemText(err error) string {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if m, ok := he.Message.(string); ok {
			return m
		}
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "create silence: ")
	return strings.TrimSuffix(msg, ": "+store.ErrInvalid.Error())
}

func silenceSubject(id int64) string { return fmt.Sprintf("silence %d", id) }

// silenceDetail describes a silence for the audit log.
func silenceDetail(sl monitor.Silence) string {
	return fmt.Sprintf("target=%q group=%q rule=%q from %s until %s: %s", sl.Target, sl.Group, sl.Rule,
		sl.Start.UTC().Format(time.RFC3339), sl.End.UTC().Format(time.RFC3339), sl.Comment)
}
