package main

// Helpers for the fault tests (faults_test.go): the real binary, built once,
// started with a config file and stopped by signal, a WebSocket screen that
// records every message, and a fake GGSCI whose answer the test changes.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/syncmon/syncmon/internal/testutil"
)

// fakeOGG is a GGSCI stand-in whose INFO ALL answer is the file state.
type fakeOGG struct {
	dir, state string
}

const (
	infoRunning = "Program     Status      Group       Lag at Chkpt  Time Since Chkpt\n\nMANAGER     RUNNING\nREPLICAT    RUNNING     REP1        00:00:00      00:00:01\n"
	infoAbended = "Program     Status      Group       Lag at Chkpt  Time Since Chkpt\n\nMANAGER     RUNNING\nREPLICAT    ABENDED     REP1        00:00:00      00:00:01\n"
)

func newFakeOGG(t *testing.T) *fakeOGG {
	dir := t.TempDir()
	f := &fakeOGG{dir: dir, state: filepath.Join(dir, "info_all.txt")}
	f.set(t, infoRunning)
	return f
}

func (f *fakeOGG) set(t *testing.T, info string) {
	t.Helper()
	tmp := f.state + ".new"
	if err := os.WriteFile(tmp, []byte(info), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, f.state); err != nil {
		t.Fatal(err)
	}
}

// target is the config's target entry, checked every second.
func (f *fakeOGG) target(extra string) string {
	script, _ := filepath.Abs("monitor/ggsci/testdata/fake_ggsci.sh")
	return fmt.Sprintf("targets:\n  - {name: east, kind: ggsci, schedule: \"@every 1s\", collect: [], command: [%q, %q]%s}\n", script, f.state, extra)
}

// binServer is one running syncmon process.
type binServer struct {
	*testutil.Process
	base string
}

// startBinary runs `syncmon serve --config` with body (anonymous viewing on,
// a 1 s ping) and the extra environment; it is stopped by SIGTERM at cleanup.
func startBinary(t *testing.T, db, body string, env ...string) *binServer {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "syncmon.yaml")
	text := fmt.Sprintf("listen: 127.0.0.1:0\ndatabase: %s\nping_interval: 1s\nauth: {anonymous_viewer: true}\n%s", db, body)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testutil.Build(t, ".", ""), "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), append([]string{"SYNCMON_ADMIN_PASSWORD=fault drill password"}, env...)...)
	cmd.Stdout = io.Discard
	s := &binServer{Process: testutil.Start(t, cmd, nil)}
	t.Cleanup(func() { _ = s.Stop(t, 20*time.Second) })
	s.base = "http://" + s.Listening(t, 20*time.Second)
	return s
}

// wireAlert is an alert as events and /api/alerts carry it.
type wireAlert struct {
	ID       int64     `json:"id"`
	Target   string    `json:"target"`
	Program  string    `json:"program"`
	Group    string    `json:"group"`
	Rule     string    `json:"rule"`
	State    string    `json:"state"`
	Severity string    `json:"severity"`
	Message  string    `json:"message"`
	OpenedAt time.Time `json:"opened_at"`
	Speech   struct{ Ko, En string }
}

// wireEvent is one message as a screen receives it.
type wireEvent struct {
	Seq         *int64     `json:"seq"`
	Type        string     `json:"type"`
	Head        int64      `json:"head"`
	Unpersisted bool       `json:"unpersisted"`
	Alert       *wireAlert `json:"alert"`
	raw         string
}

// screen is a WebSocket client that keeps every message it receives.
type screen struct {
	conn *websocket.Conn
	mu   sync.Mutex
	got  []wireEvent
	more chan struct{}
	err  error
}

func dialScreen(t *testing.T, base, query string) *screen {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws"+query, nil)
	if err != nil {
		t.Fatalf("dial ws: %v", err)
	}
	sc := &screen{conn: c, more: make(chan struct{}, 1)}
	t.Cleanup(func() { c.Close() })
	go func() {
		for {
			_, data, err := c.ReadMessage()
			sc.mu.Lock()
			if err != nil {
				sc.err = err
				sc.mu.Unlock()
				sc.signal()
				return
			}
			var e wireEvent
			if json.Unmarshal(data, &e) == nil {
				e.raw = string(data)
				sc.got = append(sc.got, e)
			}
			sc.mu.Unlock()
			sc.signal()
		}
	}()
	return sc
}

func (sc *screen) signal() {
	select {
	case sc.more <- struct{}{}:
	default:
	}
}

// wait returns the first message (from index from on) that match accepts,
// and its index; it fails the test after within.
func (sc *screen) wait(t *testing.T, from int, within time.Duration, what string, match func(wireEvent) bool) (wireEvent, int) {
	t.Helper()
	deadline := time.After(within)
	for {
		sc.mu.Lock()
		for i := from; i < len(sc.got); i++ {
			if match(sc.got[i]) {
				e := sc.got[i]
				sc.mu.Unlock()
				return e, i
			}
		}
		err := sc.err
		sc.mu.Unlock()
		if err != nil {
			t.Fatalf("waiting for %s: connection ended: %v", what, err)
		}
		select {
		case <-sc.more:
		case <-deadline:
			t.Fatalf("no %s within %s; received:\n%s", what, within, sc.dump())
		}
	}
}

func (sc *screen) events() []wireEvent {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return append([]wireEvent(nil), sc.got...)
}

func (sc *screen) dump() string {
	var b strings.Builder
	for _, e := range sc.events() {
		if e.Type != "ping" {
			b.WriteString(e.raw + "\n")
		}
	}
	return b.String()
}

func isAlert(typ, rule, group string, unpersisted bool) func(wireEvent) bool {
	return func(e wireEvent) bool {
		return e.Type == typ && e.Alert != nil && e.Alert.Rule == rule && e.Alert.Group == group && e.Unpersisted == unpersisted
	}
}

// apiAlerts lists /api/alerts?state=state.
func apiAlerts(t *testing.T, base, state string) []wireAlert {
	t.Helper()
	resp, err := http.Get(base + "/api/alerts?state=" + state)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Alerts []wireAlert }
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/api/alerts: %d %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Alerts
}

// eventually polls cond every 200 ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	testutil.Poll(t, within, 200*time.Millisecond, what, func() (bool, string) { return cond(), "" })
}

func findAlert(alerts []wireAlert, rule, group string) *wireAlert {
	for i := range alerts {
		if alerts[i].Rule == rule && alerts[i].Group == group {
			return &alerts[i]
		}
	}
	return nil
}

// checked: the server logged no failure to record yet and has run.
func (s *binServer) checked() bool { return s.Alive() }
