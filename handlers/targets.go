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
	Depth      depthView
	// HeartbeatLag and HeartbeatAge chart the heartbeat table's
	// end-to-end lag and age, when the target reports heartbeats.
	HeartbeatLag chart
	HeartbeatAge chart
}

// depthView is what a target reports beyond its processes, as the target
// page shows it; a nil list is a source that was not asked.
type depthView struct {
	Services     []monitor.Service
	Paths        []monitor.Path
	Heartbeats   []monitor.Heartbeat
	Transactions []monitor.Transaction
}

func viewDepth(d store.Depth) depthView {
	var v depthView
	if d.Services != nil {
		v.Services = *d.Services
	}
	if d.Paths != nil {
		v.Paths = *d.Paths
	}
	if d.Heartbeats != nil {
		v.Heartbeats = *d.Heartbeats
	}
	if d.Transactions != nil {
		v.Transactions = *d.Transactions
	}
	return v
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
			page.Depth = viewDepth(t.Depth)
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
	var procs, beats []store.Series // heartbeats have charts of their own
	for _, sr := range series {
		if sr.Program == monitor.ProgramHeartbeat {
			sr.Program = ""
			beats = append(beats, sr)
		} else {
			procs = append(procs, sr)
		}
	}
	lag := func(x store.Sample) *int64 { return x.LagSeconds }
	age := func(x store.Sample) *int64 { return x.CheckpointAgeSeconds }
	page.Lag = buildChart(T(lang, "lag"), procs, lag, from, to)
	page.Checkpoint = buildChart(T(lang, "checkpoint_age"), procs, age, from, to)
	if len(beats) > 0 || page.Depth.Heartbeats != nil {
		page.HeartbeatLag = buildChart(T(lang, "heartbeat_lag"), beats, lag, from, to)
		page.HeartbeatAge = buildChart(T(lang, "heartbeat_age"), beats, age, from, to)
	}
	return s.render(c, http.StatusOK, "target.html", page)
}
