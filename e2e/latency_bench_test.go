package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/syncmon/syncmon/monitor"
)

// TestLatencyBenchmark is the alert latency benchmark of docs/PERFORMANCE.md,
// not a test: it runs only with SYNCMON_BENCH=1 and asserts nothing but that
// every event arrived. A dashboard (a browser voice) and a kiosk (Korean,
// with no Korean voice: server speech) are open in chromium with a sound
// spy; SyncMon is the real binary (binary_test.go), run as an operator
// runs it; a Go WebSocket client stands for "sent on the socket". Two
// sources, 20 events each:
//   - errlog: an ERROR line appended to prod-east's followed ggserr.log (a
//     new group each time, so each opens an alert);
//   - ggsci: a fake GGSCI (source_test.go) whose INFO ALL answer flips REP1
//     to ABENDED; the scheduler checks it every second, so this stage
//     includes up to a second of waiting for the next check. REP1 RUNNING
//     again resolves the alert before the next event.
//
// Stages, each from the write: sent (the WebSocket client read the
// alert.opened), shown (the banner changed), first sound (the chime's
// play()), speech starts (speak() for the voice; the WAV loaded for server
// speech). The in-process version also had parsed (entries emitted / INFO
// ALL read) and committed (the store call returned); the binary shows
// neither from outside, and the in-process harness is gone, so "sent" is
// the first stage: it bounds committed from above.
//
//	SYNCMON_BENCH=1 go test ./e2e -run TestLatencyBenchmark -v -timeout 10m
func TestLatencyBenchmark(t *testing.T) {
	if os.Getenv("SYNCMON_BENCH") != "1" {
		t.Skip("a benchmark: SYNCMON_BENCH=1 runs it")
	}
	needTools(t)
	for _, source := range []string{"errlog", "ggsci"} {
		t.Run(source, func(t *testing.T) { latencyRun(t, source, 20) })
	}
}

// latencySpy records, in the page, when the banner changes and when sound
// and speech begin; sound and speech take as long as they would.
const latencySpy = `(function () {
  window.__lat = { shown: [], sound: [], speech: [] };
  function mark(kind, text) { window.__lat[kind].push({ at: Date.now(), text: String(text) }); }
  document.addEventListener('DOMContentLoaded', function () {
    var b = document.getElementById('banner');
    if (!b) { return; }
    new MutationObserver(function () { if (!b.hidden) { mark('shown', b.textContent); } })
      .observe(b, { childList: true, subtree: true, attributes: true, characterData: true });
  });
  var S = window.speechSynthesis;
  if (S) {
    S.speak = function (u) {
      mark('speech', u.text);
      setTimeout(function () { if (u.onstart) { u.onstart({}); } }, 5);
      setTimeout(function () { if (u.onend) { u.onend({}); } }, 1200);
    };
  }
  HTMLMediaElement.prototype.play = function () {
    var el = this, src = el.currentSrc || el.src;
    if (src.indexOf('/api/tts') < 0) {
      mark('sound', src);
      setTimeout(function () { el.dispatchEvent(new Event('ended')); }, 460);
      return Promise.resolve();
    }
    var x = new XMLHttpRequest();
    x.open('GET', src); x.responseType = 'arraybuffer';
    x.onload = function () { mark('speech', src); setTimeout(function () { el.dispatchEvent(new Event('ended')); }, 1200); };
    x.onerror = function () { el.dispatchEvent(new Event('error')); };
    x.send();
    return Promise.resolve();
  };
}());`

type latMark struct {
	At   float64 `json:"at"`
	Text string  `json:"text"`
}

type latMarks struct {
	Shown  []latMark `json:"shown"`
	Sound  []latMark `json:"sound"`
	Speech []latMark `json:"speech"`
}

// stages of one event, in ms since the write
type latEvent map[string]float64

func latencyRun(t *testing.T, source string, n int) {
	log := filepath.Join(t.TempDir(), "ggserr.log")
	if err := os.WriteFile(log, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	a := startProc(t, func(a *proc) {
		a.ping, a.repeat = time.Second, time.Hour
		if source == "errlog" {
			a.errlog = log
		} else {
			a.ggsci = []string{"east-gg"}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// "sent": a WebSocket client of our own
	var mu sync.Mutex
	var opened []float64
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+a.addr+"/ws?since="+fmt.Sprint(a.head(t)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() {
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				return
			}
			now := float64(time.Now().UnixMicro()) / 1000
			var e struct {
				Type  string `json:"type"`
				Alert *struct {
					Group string `json:"group"`
				} `json:"alert"`
			}
			if json.Unmarshal(b, &e) == nil && e.Type == monitor.AlertOpened && e.Alert != nil {
				mu.Lock()
				opened = append(opened, now)
				mu.Unlock()
			}
		}
	}()

	dash := openIn(t, newProfile(t), a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, ""), latencySpy}})
	kiosk := openIn(t, newProfile(t), a.url("/kiosk"), pageOpts{lang: "ko", scripts: []string{stub(voicesEnglishOnly, ""), latencySpy}})
	tabs := map[string]*tab{"dashboard": dash, "kiosk": kiosk}

	trigger := func(i int) { appendLine(t, log, oggErrorLine(fmt.Sprintf("R%02d", i))) }
	settle := func() {}
	if source == "ggsci" {
		trigger = func(int) { a.set(t, "east-gg", rep1Abended()...) }
		// REP1 running again, and its process_status alert resolved (from
		// the third abend on, abend_flapping stays open: that is the rule)
		settle = func() {
			a.set(t, "east-gg", healthy()...)
			for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				active := a.activeAlerts(t)
				if !slices.ContainsFunc(active, func(al monitor.Alert) bool { return al.Rule == monitor.RuleProcessStatus }) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("REP1's alert still active 20 s after it ran again: %+v", active)
				}
			}
		}
	}

	marks := func(p *tab) latMarks { return eval[latMarks](t, p, `window.__lat`) }
	var events []latEvent
	for i := range n {
		before := map[string]latMarks{}
		for k, p := range tabs {
			before[k] = marks(p)
		}
		mu.Lock()
		nOpened := len(opened)
		mu.Unlock()
		w := float64(time.Now().UnixMicro()) / 1000
		trigger(i)
		for k, p := range tabs {
			p.waitFor(t, 15*time.Second, k+" spoke of event "+fmt.Sprint(i),
				fmt.Sprintf(`window.__lat.speech.length > %d && window.__lat.sound.length > %d`, len(before[k].Speech), len(before[k].Sound)))
		}
		ev := latEvent{}
		mu.Lock()
		if len(opened) > nOpened {
			ev["sent"] = opened[nOpened] - w
		}
		mu.Unlock()
		for k, p := range tabs {
			m, b := marks(p), before[k]
			if len(m.Shown) > len(b.Shown) {
				ev[k+" shown"] = m.Shown[len(b.Shown)].At - w
			}
			ev[k+" first sound"] = m.Sound[len(b.Sound)].At - w
			ev[k+" speech starts"] = m.Speech[len(b.Speech)].At - w
		}
		events = append(events, ev)
		// let both finish speaking (1.2 s) before the next event
		for k, p := range tabs {
			p.waitFor(t, 10*time.Second, k+" quiet", `!window.syncmon.state().speaking`)
		}
		settle()
	}
	report(t, source, events)
}

// activeAlerts is what /api/alerts lists as active.
func (a *proc) activeAlerts(t *testing.T) []monitor.Alert {
	t.Helper()
	var out struct {
		Alerts []monitor.Alert `json:"alerts"`
	}
	a.api(t, http.MethodGet, "/api/alerts?state=active", nil, http.StatusOK, &out)
	return out.Alerts
}

func report(t *testing.T, source string, events []latEvent) {
	order := []string{"sent", "dashboard shown", "kiosk shown",
		"dashboard first sound", "kiosk first sound", "dashboard speech starts", "kiosk speech starts"}
	load, _ := os.ReadFile("/proc/loadavg")
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s, %d events, load average %s", source, len(events), load)
	fmt.Fprintf(&b, "| stage (ms from the write) | p50 | p90 | max | n |\n|---|---|---|---|---|\n")
	for _, k := range order {
		var v []float64
		for _, e := range events {
			if x, ok := e[k]; ok {
				v = append(v, x)
			}
		}
		if len(v) == 0 {
			continue
		}
		slices.Sort(v)
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.0f | %d |\n", k, v[len(v)/2], v[(len(v)*9+9)/10-1], v[len(v)-1], len(v))
	}
	t.Log(b.String())
}
