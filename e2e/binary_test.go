package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/syncmon/syncmon/internal/testutil"
)

// proc is SyncMon as an operator runs it: the binary built from this
// module, started with `syncmon serve --config F`, so that a page test goes
// through the same run() as production (config file, first admin,
// scheduler with a simulator target, notifier, hub) and not through a
// server assembled by hand. It can stop (SIGTERM) and start again on the
// same database file and port.
type proc struct {
	db      string
	version string        // the release the binary is built as; change it between restarts to upgrade
	ping    time.Duration // heartbeat; 0: the default 10 s
	origins []string
	// staleAlarm is ui.stale_alarm; 0: the default 60 s.
	staleAlarm time.Duration
	repeat     time.Duration // speech_repeat; 0: the default 60 s
	refresh    time.Duration // page_refresh; 0: the default 30 s
	private    bool          // no anonymous viewing
	// ggsci names targets of kind ggsci, each a fake GGSCI replaying the
	// file set writes (source_test.go), checked every second; none: one
	// simulator target.
	ggsci   []string
	initial map[string][]ggProc // a ggsci target's state before the first start; none: healthy
	// sims adds that many simulator targets, east-0000 on, checked at
	// start and then hourly (healthy at their first check).
	sims   int
	errlog string // prod-east's followed ggserr.log; "" for none

	dir      string
	addr     string // 127.0.0.1:0 until the first start, then the bound address
	password string // admin's, from SYNCMON_ADMIN_PASSWORD
	logs     testutil.Buffer

	mu   sync.Mutex
	stop func(t *testing.T)
	kill func() // SIGKILL, as a crash or the OOM killer would
}

func newProc(t *testing.T) *proc {
	dir := t.TempDir()
	return &proc{db: filepath.Join(dir, "syncmon.db"), dir: dir, addr: "127.0.0.1:0", version: "e2e",
		password: "correct horse battery e2e"}
}

// syncmonBinary builds the syncmon binary of release once per test run.
func syncmonBinary(t *testing.T, release string) string {
	t.Helper()
	return testutil.Build(t, "..", release)
}

// config is the file the binary runs with: the rig's heartbeat, speech
// repeat, page refresh and origins, anonymous viewing unless private, and
// its targets: fake GGSCIs checked every second, or else one simulator
// target checked at start (and then hourly, so that it adds no events
// while a test counts them).
func (a *proc) config(t *testing.T) string {
	var b strings.Builder
	fmt.Fprintf(&b, "database: %s\n", a.db)
	for key, d := range map[string]time.Duration{"ping_interval": a.ping, "speech_repeat": a.repeat, "page_refresh": a.refresh} {
		if d > 0 {
			fmt.Fprintf(&b, "%s: %s\n", key, d)
		}
	}
	if len(a.origins) > 0 {
		b.WriteString("allowed_origins:\n")
		for _, o := range a.origins {
			fmt.Fprintf(&b, "  - %q\n", o)
		}
	}
	if a.staleAlarm > 0 {
		fmt.Fprintf(&b, "ui:\n  stale_alarm: %s\n", a.staleAlarm)
	}
	fmt.Fprintf(&b, "auth:\n  anonymous_viewer: %v\ntargets:\n", !a.private)
	if len(a.ggsci) == 0 {
		b.WriteString("  - name: prod-east\n    kind: simulator\n    schedule: \"@every 1h\"\n")
		if a.errlog != "" {
			fmt.Fprintf(&b, "    errlog: %s\n", a.errlog)
		}
	}
	for i := range a.sims {
		fmt.Fprintf(&b, "  - {name: east-%04d, kind: simulator, schedule: \"@every 1h\"}\n", i)
	}
	for _, name := range a.ggsci {
		fmt.Fprintf(&b, "  - {name: %s, kind: ggsci, schedule: \"@every 1s\", timeout: 10s, command: [sh, %q, %q], open_after: {lag: 1}}\n",
			name, fakeGGSCI(t), a.stateFile(name))
	}
	return b.String()
}

func (a *proc) start(t *testing.T) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, name := range a.ggsci {
		if _, err := os.Stat(a.stateFile(name)); err != nil {
			procs, ok := a.initial[name]
			if !ok {
				procs = healthy()
			}
			a.set(t, name, procs...)
		}
	}
	cfg := filepath.Join(a.dir, "syncmon.yaml")
	if err := os.WriteFile(cfg, []byte(a.config(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(syncmonBinary(t, a.version), "serve", "--config", cfg, "--listen", a.addr)
	cmd.Env = append(os.Environ(), "SYNCMON_ADMIN_PASSWORD="+a.password)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test binary
	p := testutil.Start(t, cmd, &a.logs)
	var once sync.Once
	a.stop = func(t *testing.T) {
		once.Do(func() {
			if err := p.Stop(t, 20*time.Second); err != nil {
				t.Errorf("syncmon exited after SIGTERM: %v", err)
			}
		})
	}
	a.kill = func() { once.Do(func() { p.Kill(t) }) }
	// testutil.Start kills the process at cleanup; cleanups run last
	// registered first, so a process started again mid-test (a restart)
	// would be killed before startProc's cleanup stops it with SIGTERM.
	// Stopping it here, registered after Start's, runs before that kill.
	t.Cleanup(func() { a.halt(t) })
	a.addr = p.Listening(t, 30*time.Second) // a restart comes back on the same port
}

// startProc starts a proc configured by configure and stops it at cleanup.
func startProc(t *testing.T, configure ...func(*proc)) *proc {
	t.Helper()
	a := newProc(t)
	for _, f := range configure {
		f(a)
	}
	a.start(t)
	t.Cleanup(func() {
		a.halt(t)
		if t.Failed() {
			t.Logf("syncmon log:\n%s", a.logs.String())
		}
	})
	return a
}

// halt stops the process as SIGTERM does in production (screens told to
// reconnect, HTTP drained, the store closed).
func (a *proc) halt(t *testing.T) {
	a.mu.Lock()
	stop := a.stop
	a.stop = nil
	a.mu.Unlock()
	if stop != nil {
		stop(t)
	}
}

// crash ends the process with SIGKILL: no goodbye to the screens.
func (a *proc) crash() {
	a.mu.Lock()
	kill := a.kill
	a.stop, a.kill = nil, nil
	a.mu.Unlock()
	if kill != nil {
		kill()
	}
}

func (a *proc) url(path string) string { return "http://" + a.addr + path }

func (a *proc) port() int {
	_, p, _ := net.SplitHostPort(a.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// alert sends a test alert through the API as admin, so that the app's
// own feed delivers it to every screen, and returns its id.
func (a *proc) alert(t *testing.T, msg string) int64 {
	id, _ := a.testAlert(t, msg)
	return id
}

// testAlert is alert, with the alert's English speech.
func (a *proc) testAlert(t *testing.T, msg string) (int64, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"message": msg})
	req, err := http.NewRequest(http.MethodPost, a.url("/api/alerts/test"), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("admin", a.password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Alert struct {
			ID     int64 `json:"id"`
			Speech struct {
				En string `json:"en"`
			} `json:"speech"`
		} `json:"alert"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated || out.Alert.Speech.En == "" {
		t.Fatalf("POST /api/alerts/test: %s, %+v, %v; want 201 with the alert", resp.Status, out, err)
	}
	return out.Alert.ID, out.Alert.Speech.En
}

// head is the seq of the newest event, as /api/state says.
func (a *proc) head(t *testing.T) int64 {
	t.Helper()
	resp, err := http.Get(a.url("/api/state"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Head int64 `json:"head"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/state: %s, %v", resp.Status, err)
	}
	return st.Head
}

// A test alert sent to the real binary is announced on a dashboard exactly
// once.
func TestBinaryTestAlertAnnouncedOnce(t *testing.T) {
	needTools(t)
	t.Parallel()
	a := startProc(t, func(a *proc) { a.ping = time.Second })
	p := openIn(t, newProfile(t), a.url("/"), pageOpts{lang: "en", scripts: []string{stub(voicesBoth, "")}})
	id, text := a.testAlert(t, "through run()")
	p.waitFor(t, 10*time.Second, "the banner shows the test alert", shownJS(id, text))
	p.waitSpoken(t, 10*time.Second, text, 1)
	b := p.sound(t).Beats
	p.waitFor(t, 5*time.Second, "two more heartbeats", fmt.Sprintf(`window.syncmon.state().beats >= %d`, b+2))
	if got := p.spoken(t); len(got) != 1 || got[0].Text != text {
		t.Errorf("said %+v; want %q once", got, text)
	}
}
