package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/simulator"
)

// What a dashboard downloads per event does not grow with the fleet: it
// fetches the changed target's fragment and the alert table, never the
// whole page again.

// eventBytes starts an app with n healthy simulator targets, opens the
// dashboard, abends one target and returns the bytes the page downloaded
// (Resource Timing: headers and bodies of every fetch but the static
// assets) until it shows the
// alert and the target among the problems, and the URLs it fetched.
func eventBytes(t *testing.T, n int) (int, []string) {
	t.Helper()
	a := startApp(t, nil)
	names := make([]monitor.Target, n)
	for i := range n {
		names[i] = simTarget
		names[i].Name = fmt.Sprintf("east-%04d", i)
		a.observe(t, names[i], simulator.Processes(0))
	}
	p := openIn(t, newProfile(t), a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, "")}})
	p.waitFor(t, 10*time.Second, "the dashboard with its targets", `!!document.getElementById('problems')`)
	t.Logf("%d targets: the dashboard itself is %.0f bytes", n, eval[float64](t, p, `performance.getEntriesByType('navigation')[0].transferSize`))
	eval[bool](t, p, `(performance.setResourceTimingBufferSize(100000), performance.clearResourceTimings(), true)`)
	sick := names[n/2]
	a.observe(t, sick, simulator.Processes(30*time.Second)) // REP1 abended
	p.waitFor(t, 10*time.Second, "the alert and the sick target shown", fmt.Sprintf(`(function () {
  var s = document.querySelector('#problems section.target[data-target=%q]');
  return !!s && s.getAttribute('data-ok') === '0' && !!document.querySelector('#alerts tr[data-alert-id]');
}())`, sick.Name))
	type entry struct {
		Name string  `json:"name"`
		Size float64 `json:"size"`
	}
	got := eval[[]entry](t, p, `performance.getEntriesByType('resource').map(function (e) { return { name: e.name, size: e.transferSize }; })`)
	total, urls := 0, []string(nil)
	for _, e := range got {
		u := strings.TrimPrefix(e.Name, a.url(""))
		if strings.HasPrefix(u, "/static/") {
			continue // the chime, fetched once per page load, whatever the event
		}
		total += int(e.Size)
		urls = append(urls, u)
	}
	return total, urls
}

func TestBytesPerEventDoNotGrowWithTheFleet(t *testing.T) {
	needTools(t)
	t.Parallel()
	sizes := map[int]int{}
	for _, n := range []int{10, 100, 500} {
		b, urls := eventBytes(t, n)
		sizes[n] = b
		t.Logf("%d targets: %d bytes per event: %v", n, b, urls)
		for _, u := range urls {
			if !strings.HasPrefix(u, "/fragments?") {
				t.Errorf("%d targets: fetched %s after an event; want /fragments only", n, u)
			}
		}
		if b == 0 {
			t.Errorf("%d targets: nothing downloaded; want the changed parts", n)
		}
	}
	// The same parts at every size; a little slack for longer names and
	// the folded target's extra attribute.
	if sizes[500] > sizes[10]+1024 {
		t.Errorf("an event cost %d bytes at 500 targets, %d at 10: it grows with the fleet", sizes[500], sizes[10])
	}
}
