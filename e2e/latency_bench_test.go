package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/errlog"
	"github.com/syncmon/syncmon/monitor/ggsci"
)

// TestLatencyBenchmark is the alert latency benchmark of docs/PERFORMANCE.md,
// not a test: it runs only with SYNCMON_BENCH=1 and asserts nothing but that
// every event arrived. A dashboard (a browser voice) and a kiosk (Korean,
// with no Korean voice: server speech) are open in chromium with a sound
// spy; SyncMon runs in-process with its real store, feed and pages; a Go
// WebSocket client stands for "sent on the socket". Two sources, 20 events
// each:
//   - errlog: an ERROR line appended to a followed ggserr.log (a new group
//     each time, so each opens an alert);
//   - ggsci: a fake GGSCI (monitor/ggsci/testdata/fake_ggsci.sh) whose
//     INFO ALL answer flips REP1 to ABENDED, then a check (as the
//     scheduler runs it); a second check with REP1 RUNNING resolves it.
//
// Stages, each from the write: parsed (entries emitted / INFO ALL read),
// committed (the store call returned), sent (the WebSocket client read it),
// shown (the banner changed), first sound (the chime's play()), speech
// starts (speak() for the voice; the WAV loaded for server speech).
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

const infoAll = "GGSCI> info all\nProgram     Status      Group       Lag at Chkpt  Time Since Chkpt\nMANAGER     RUNNING\nREPLICAT    %s     REP1        00:00:02      00:00:05\n"

func latencyRun(t *testing.T, source string, n int) {
	dir := t.TempDir()
	a := startApp(t, func(o *handlers.Options) { o.SpeechRepeat = time.Hour; o.WarmSpeech = true })
	st := a.store()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// "sent": a WebSocket client of our own
	var mu sync.Mutex
	sent := map[string]float64{} // alert group+seq order: first alert.opened per key
	var opened []float64
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+a.addr+"/ws?since="+fmt.Sprint(st.Head()), nil)
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
				sent[e.Alert.Group] = now
				opened = append(opened, now)
				mu.Unlock()
			}
		}
	}()

	dash := openIn(t, newProfile(t), a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, ""), latencySpy}})
	kiosk := openIn(t, newProfile(t), a.url("/kiosk"), pageOpts{lang: "ko", scripts: []string{stub(voicesEnglishOnly, ""), latencySpy}})
	tabs := map[string]*tab{"dashboard": dash, "kiosk": kiosk}

	var (
		stamp   func(group string) (parsed, committed float64)
		trigger func(i int) (group string)
		settle  = func() {}
	)
	switch source {
	case "errlog":
		log := filepath.Join(dir, "ggserr.log")
		if err := os.WriteFile(log, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		target := monitor.Target{Name: "prod-east", Kind: monitor.KindSimulator, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
		times := map[string][2]float64{}
		fl := errlog.NewFollower(log, st, nil)
		go fl.Run(ctx, func(entries []monitor.LogEntry) error {
			parsed := float64(time.Now().UnixMicro()) / 1000
			err := st.RecordLog(ctx, target, entries)
			committed := float64(time.Now().UnixMicro()) / 1000
			mu.Lock()
			for _, e := range entries {
				times[e.Group] = [2]float64{parsed, committed}
			}
			mu.Unlock()
			return err
		})
		// the follower has started once its offset is stored
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if off, _ := st.LoadOffset(ctx, log); off.Inode != 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the follower did not start")
			}
		}
		stamp = func(g string) (float64, float64) { mu.Lock(); defer mu.Unlock(); return times[g][0], times[g][1] }
		trigger = func(i int) string {
			g := fmt.Sprintf("R%02d", i)
			appendLine(t, log, oggErrorLine(g))
			return g
		}
	case "ggsci":
		fixture := filepath.Join(dir, "info_all.txt")
		script, _ := filepath.Abs("../monitor/ggsci/testdata/fake_ggsci.sh")
		p := monitor.DefaultPolicy()
		p.ResolveAfter = map[string]int{monitor.RuleProcessStatus: 1}
		target := monitor.Target{Name: "east-gg", Kind: monitor.KindGGSCI, Command: []string{script, fixture},
			Thresholds: monitor.DefaultThresholds(), Policy: p, Timeout: 10 * time.Second}
		col := ggsci.NewCollector(target)
		var parsed, committed float64
		check := func(status string) {
			if err := os.WriteFile(fixture, []byte(fmt.Sprintf(infoAll, status)), 0o600); err != nil {
				t.Fatal(err)
			}
			procs, err := col.Collect(ctx)
			parsed = float64(time.Now().UnixMicro()) / 1000
			if err != nil {
				t.Fatalf("fake GGSCI: %v", err)
			}
			if err := st.Record(ctx, target, monitor.Observation{Target: target.Name, Kind: target.Kind, ObservedAt: time.Now(), Processes: procs}); err != nil {
				t.Fatal(err)
			}
			committed = float64(time.Now().UnixMicro()) / 1000
		}
		check("RUNNING ")
		stamp = func(string) (float64, float64) { return parsed, committed }
		trigger = func(int) string { check("ABENDED "); return "REP1" }
		settle = func() { check("RUNNING ") } // resolves it
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
		g := trigger(i)
		for k, p := range tabs {
			p.waitFor(t, 15*time.Second, k+" spoke of event "+fmt.Sprint(i),
				fmt.Sprintf(`window.__lat.speech.length > %d && window.__lat.sound.length > %d`, len(before[k].Speech), len(before[k].Sound)))
		}
		ev := latEvent{}
		parsed, committed := stamp(g)
		ev["parsed"], ev["committed"] = parsed-w, committed-w
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

func report(t *testing.T, source string, events []latEvent) {
	order := []string{"parsed", "committed", "sent", "dashboard shown", "kiosk shown",
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
