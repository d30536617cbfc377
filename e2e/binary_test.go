package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The binary: SyncMon built from this module and started as an operator
// starts it, so a page test runs through the same run() as production
// (config file, scheduler, notifier, first admin, hub) and not through a
// server assembled by hand.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// syncmonBinary builds the syncmon binary once per test run.
func syncmonBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "syncmon-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "syncmon")
		out, err := exec.Command("go", "build", "-o", binPath, "..").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// binApp is one syncmon process.
type binApp struct {
	base     string // http://127.0.0.1:port
	password string // admin's, from SYNCMON_ADMIN_PASSWORD
	logs     lockedBuffer
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startBinary runs `syncmon serve --config F` with config (YAML, without
// listen and database, which it adds) and waits until it listens.
func startBinary(t *testing.T, config string) *binApp {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "syncmon.yaml")
	config = fmt.Sprintf("listen: 127.0.0.1:0\ndatabase: %s\n%s", filepath.Join(dir, "syncmon.db"), config)
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &binApp{password: "correct horse battery e2e"}
	cmd := exec.Command(syncmonBinary(t), "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), "SYNCMON_ADMIN_PASSWORD="+a.password)
	cmd.Stdout, cmd.Stderr = &a.logs, &a.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test binary
	if err := cmd.Start(); err != nil {
		t.Fatalf("start syncmon: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("syncmon exited after SIGTERM: %v", err)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("syncmon did not stop within 20 s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("syncmon log:\n%s", a.logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(a.logs.String()); m != nil {
			a.base = "http://" + m[1]
			return a
		}
		select {
		case err := <-exited:
			t.Fatalf("syncmon exited (%v):\n%s", err, a.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("syncmon not listening within 20 s:\n%s", a.logs.String())
		}
	}
}

func (a *binApp) url(path string) string { return a.base + path }

// testAlert sends a test alert through the API as admin and returns its
// id and English speech.
func (a *binApp) testAlert(t *testing.T, msg string) (int64, string) {
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

// A test alert sent to the real binary (scheduler running its simulator
// target) reaches a dashboard and is announced exactly once.
func TestBinaryTestAlertAnnouncedOnce(t *testing.T) {
	needTools(t)
	t.Parallel()
	a := startBinary(t, `ping_interval: 1s
auth:
  anonymous_viewer: true
targets:
  - name: prod-east
    kind: simulator
    schedule: "@every 1s"
    speed: 0.01
`)
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
