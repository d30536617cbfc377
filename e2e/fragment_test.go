package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// What a dashboard downloads per event does not grow with the fleet: it
// fetches the changed target's fragment and the alert table, never the
// whole page again.

// sickTarget is the fake GGSCI target eventBytes abends; its n healthy
// neighbours are simulators.
const sickTarget = "east-sick"

// eventBytes runs the binary with n healthy simulator targets and one fake
// GGSCI target, opens the dashboard, abends the GGSCI target's REP1 and
// returns the bytes the page downloaded (Resource Timing: headers and
// bodies of every fetch but the static assets) until it shows the alert
// and the target among the problems, and the URLs it fetched.
func eventBytes(t *testing.T, n int) (int, []string) {
	t.Helper()
	a := startProc(t, func(a *proc) {
		a.ping, a.sims, a.ggsci = time.Second, n, []string{sickTarget}
	})
	a.waitObserved(t, n+1)
	p := openIn(t, newProfile(t), a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, "")}})
	p.waitFor(t, 10*time.Second, "the dashboard with its targets", `!!document.getElementById('problems')`)
	t.Logf("%d targets: the dashboard itself is %.0f bytes", n, eval[float64](t, p, `performance.getEntriesByType('navigation')[0].transferSize`))
	eval[bool](t, p, `(performance.setResourceTimingBufferSize(100000), performance.clearResourceTimings(), true)`)
	a.set(t, sickTarget, rep1Abended()...)
	p.waitFor(t, 20*time.Second, "the alert and the sick target shown", fmt.Sprintf(`(function () {
  var s = document.querySelector('#problems section.target[data-target=%q]');
  return !!s && s.getAttribute('data-ok') === '0' && !!document.querySelector('#alerts tr[data-alert-id]');
}())`, sickTarget))
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
	a.halt(t) // one fleet at a time on a shared machine
	return total, urls
}

// waitObserved waits until /api/state lists want targets, every one
// observed (reachable, with a check time): with hundreds of simulators the
// first checks at start take a while, and a page opened before they end
// would count their events as the sick target's.
func (a *proc) waitObserved(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	seen := 0
	for {
		var st struct {
			Targets []struct {
				Name       string `json:"name"`
				Reachable  bool   `json:"reachable"`
				ObservedAt string `json:"observed_at"`
			} `json:"targets"`
		}
		resp, err := http.Get(a.url("/api/state"))
		if err != nil {
			t.Fatalf("GET /api/state: %v", err)
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/state: %s, %v", resp.Status, err)
		}
		seen = 0
		for _, tg := range st.Targets {
			if tg.Reachable && tg.ObservedAt != "" {
				seen++
			}
		}
		if len(st.Targets) == want && seen == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d targets observed within 60 s (%d listed)", seen, want, len(st.Targets))
		}
		time.Sleep(100 * time.Millisecond) // a poll interval, not a settle
	}
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
