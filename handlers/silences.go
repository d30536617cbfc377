package handlers

import (
	"errors"
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

// silence is the window the input describes, or the problems with it.
func (in silenceInput) silence(now time.Time) (monitor.Silence, []string) {
	start, end := in.Start, in.End
	if start.IsZero() {
		start = now
	}
	if in.Duration != "" {
		d, err := time.ParseDuration(in.Duration)
		if err != nil || d <= 0 {
			return monitor.Silence{}, []string{"duration must be like 30m or 2h"}
		}
		end = start.Add(d)
	}
	return monitor.Silence{Target: in.Target, Group: in.Group, Rule: in.Rule, Start: start, End: end, Comment: in.Comment}, nil
}

// createSilence is the one core of both routes that make a silence: the
// store records it with its audit row. problems are the person's to fix,
// in fixed wording (the store's typed validation error), never err.Error().
func (s *Server) createSilence(c echo.Context, in silenceInput) (sl monitor.Silence, problems []string, err error) {
	sl, problems = in.silence(s.opt.Now())
	if len(problems) > 0 {
		return sl, problems, nil
	}
	sl, err = s.store.CreateSilence(c.Request().Context(), actorOf(c), sl)
	var invalid *store.InvalidError
	if errors.As(err, &invalid) {
		return sl, invalid.Problems, nil
	}
	return sl, nil, err
}

// expireSilence is the one core of both routes that end a silence.
func (s *Server) expireSilence(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "no such silence")
	}
	return s.store.ExpireSilence(c.Request().Context(), actorOf(c), id)
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
	_, p, err := s.createSilence(c, in)
	if len(p) > 0 {
		return s.renderSilences(c, http.StatusUnprocessableEntity, in, p)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/silences")
}

func (s *Server) expireSilenceForm(c echo.Context) error {
	if err := s.expireSilence(c); err != nil {
		return err
	}
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
	sl, p, err := s.createSilence(c, in)
	if len(p) > 0 {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, strings.Join(p, "; "))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]monitor.Silence{"silence": sl})
}

func (s *Server) apiExpireSilence(c echo.Context) error {
	if err := s.expireSilence(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
