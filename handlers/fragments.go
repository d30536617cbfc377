package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/monitor"
)

// The dashboard leads with what is wrong: the active alerts, then the
// targets with a problem, each with its processes. When the fleet is
// larger than foldAt, the healthy targets are one line each, folded in a
// <details> (it works without JS); a small fleet shows every target whole.
//
// A screen with JS does not download the page again after an event: it
// asks GET /fragments for the parts that changed (the alert table, the
// targets an event names) and swaps them in, so what an event costs it
// does not grow with the fleet.
const (
	foldAt           = 12
	maxFragmentNames = 50
)

type dashboardPage struct {
	base
	Targets  []targetView
	Alerts   []monitor.Alert
	Fold     bool
	Problems []targetView // Fold only: targets whose worst is not ok, worst first
	Healthy  []targetView // Fold only
}

// dashTarget is what the dash-target template renders.
type dashTarget struct {
	Base   base
	Target targetView
	Fold   bool
}

func dashFrag(p dashboardPage, t targetView) dashTarget {
	return dashTarget{Base: p.base, Target: t, Fold: p.Fold}
}

// dashboardData reads the state and arranges it for the dashboard.
func (s *Server) dashboardData(c echo.Context) (dashboardPage, error) {
	st, err := s.store.State(c.Request().Context())
	if err != nil {
		return dashboardPage{}, fmt.Errorf("dashboard: %w", err)
	}
	page := dashboardPage{base: s.base(c, "SyncMon"), Alerts: st.Alerts, Fold: len(st.Targets) > foldAt}
	page.Page, page.Head = "dashboard", st.Head
	for _, t := range st.Targets {
		tv := viewTarget(t.Name, t.Kind, t.Reachable, t.Error, t.ObservedAt, t.Processes, st.Alerts)
		page.Targets = append(page.Targets, tv)
		if tv.Worst == monitor.SeverityOK {
			page.Healthy = append(page.Healthy, tv)
		} else if page.Fold {
			page.Problems = append(page.Problems, tv)
		}
	}
	worstFirst(page.Problems)
	return page, nil
}

// worstFirst sorts targets worst first, keeping the store's order (by
// name) within a severity.
func worstFirst(tvs []targetView) {
	slices.SortStableFunc(tvs, func(a, b targetView) int {
		return monitor.SeverityRank(b.Worst) - monitor.SeverityRank(a.Worst)
	})
}

func (s *Server) dashboard(c echo.Context) error {
	page, err := s.dashboardData(c)
	if err != nil {
		return err
	}
	return s.renderRevalidated(c, "dashboard.html", page)
}

// fragments answers GET /fragments?alerts=1&problems=1&target=NAME… with
// the parts of the dashboard named, each as the dashboard renders it (a
// target by its data-target, the alerts as #alerts-section, the targets
// with a problem as a folded dashboard's #problems); a target that no
// longer exists is left out. A JS dashboard's periodic refresh asks for
// the alerts and the problems: the folded healthy targets change only by
// events.
func (s *Server) fragments(c echo.Context) error {
	names := c.QueryParams()["target"]
	if len(names) > maxFragmentNames {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("at most %d targets at a time", maxFragmentNames))
	}
	// Only the targets asked for and the active alerts are read: the rest
	// of the fleet costs this request nothing (BenchmarkFragment).
	problems := c.QueryParam("problems") == "1"
	st, err := s.store.PartialState(c.Request().Context(), names, problems)
	if err != nil {
		return fmt.Errorf("fragments: %w", err)
	}
	page := dashboardPage{base: s.base(c, "SyncMon"), Alerts: st.Alerts, Fold: st.Count > foldAt}
	page.Page, page.Head = "dashboard", st.Head
	t := s.pages.byName["dashboard.html"]
	var buf bytes.Buffer
	if c.QueryParam("alerts") == "1" {
		if err := t.ExecuteTemplate(&buf, "dash-alerts", page); err != nil {
			return fmt.Errorf("render alerts fragment: %w", err)
		}
	}
	named := map[string]bool{}
	for _, n := range names {
		named[n] = true
	}
	for _, ts := range st.Targets {
		tv := viewTarget(ts.Name, ts.Kind, ts.Reachable, ts.Error, ts.ObservedAt, ts.Processes, st.Alerts)
		if problems && tv.Worst != monitor.SeverityOK {
			page.Problems = append(page.Problems, tv)
		}
		if !named[ts.Name] {
			continue
		}
		if err := t.ExecuteTemplate(&buf, "dash-target", dashFrag(page, tv)); err != nil {
			return fmt.Errorf("render target fragment: %w", err)
		}
	}
	if problems {
		worstFirst(page.Problems)
		if err := t.ExecuteTemplate(&buf, "dash-problems", page); err != nil {
			return fmt.Errorf("render problems fragment: %w", err)
		}
	}
	// Revalidated: a periodic refresh of an unchanged part costs a 304.
	return revalidated(c, buf.Bytes())
}
