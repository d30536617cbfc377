package e2e

import (
	"strings"
	"testing"
	"time"
)

// The periodic refresh of a folded dashboard (past 12 targets) asks only
// for the alerts and the targets with a problem, never the whole page (but
// every tenth time), and keeps the healthy count right.
func TestPeriodicRefreshOfAFoldedDashboardFetchesOnlyItsProblems(t *testing.T) {
	needTools(t)
	t.Parallel()
	a := startProc(t, func(a *proc) { a.sims, a.refresh = 20, time.Second })
	a.waitObserved(t, 21) // and the default target
	p := openIn(t, newProfile(t), a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, "")}})
	p.waitFor(t, 10*time.Second, "the folded dashboard", `!!document.querySelector('#problems[data-fold="1"]')`)
	eval[bool](t, p, `(performance.setResourceTimingBufferSize(100000), performance.clearResourceTimings(), true)`)
	p.waitFor(t, 10*time.Second, "three periodic refreshes", `performance.getEntriesByType('resource').filter(function (e) {
  return e.name.indexOf('/fragments?alerts=1&problems=1') >= 0; }).length >= 3`)
	type entry struct {
		Name string  `json:"name"`
		Size float64 `json:"size"`
	}
	got := eval[[]entry](t, p, `performance.getEntriesByType('resource').map(function (e) { return { name: e.name, size: e.transferSize }; })`)
	page := eval[float64](t, p, `performance.getEntriesByType('navigation')[0].transferSize`)
	for _, e := range got {
		u := strings.TrimPrefix(e.Name, a.url(""))
		if strings.HasPrefix(u, "/static/") {
			continue
		}
		t.Logf("fetched %s: %.0f bytes (the page: %.0f)", u, e.Size, page)
		if !strings.HasPrefix(u, "/fragments?") {
			t.Errorf("fetched %s during the periodic refresh; want /fragments only", u)
		}
	}
	if ok := eval[bool](t, p, `document.querySelectorAll('#healthy li[data-target]').length + document.querySelectorAll('#problems [data-target]').length === 21 &&
  String(document.querySelectorAll('#healthy li[data-target]').length) === document.getElementById('healthy-count').textContent`); !ok {
		t.Errorf("after the refreshes the page does not show each of the 21 targets once with the right healthy count:\n%s", p.dump())
	}
}
