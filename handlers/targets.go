package handlers

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// chartRanges are the history windows a target page offers.
var chartRanges = map[string]time.Duration{"1h": time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour}

type targetPage struct {
	base
	Target     targetView
	Alerts     []monitor.Alert
	Range      string
	Ranges     []string
	Lag        chart
	Checkpoint chart
}

func (s *Server) targetDetail(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("name")
	rng := c.QueryParam("range")
	if _, ok := chartRanges[rng]; !ok {
		rng = "1h"
	}
	st, err := s.store.State(ctx)
	if err != nil {
		return fmt.Errorf("target page: %w", err)
	}
	page := targetPage{base: s.base(c, name), Range: rng, Ranges: []string{"1h", "24h", "7d"}}
	page.Page, page.Head = "target", st.Head
	found := false
	for _, t := range st.Targets {
		if t.Name == name {
			page.Target = viewTarget(t.Name, t.Kind, t.Reachable, t.Error, t.ObservedAt, t.Processes, st.Alerts)
			found = true
		}
	}
	if !found {
		return echo.NewHTTPError(http.StatusNotFound, "no such target")
	}
	for _, a := range st.Alerts {
		if a.Target == name {
			page.Alerts = append(page.Alerts, a)
		}
	}
	to := s.opt.Now()
	from := to.Add(-chartRanges[rng])
	series, err := s.store.Samples(ctx, name, from)
	if err != nil {
		return err
	}
	lang := langOf(c)
	page.Lag = buildChart(T(lang, "lag"), series, func(x store.Sample) *int64 { return x.LagSeconds }, from, to)
	page.Checkpoint = buildChart(T(lang, "checkpoint_age"), series, func(x store.Sample) *int64 { return x.CheckpointAgeSeconds }, from, to)
	return s.render(c, http.StatusOK, "target.html", page)
}
