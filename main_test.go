package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/syncmon/syncmon/internal/testutil"
)

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startServer runs syncmon as main does, on 127.0.0.1:0 with a temp
// database unless args name one. stop cancels its context, which is what
// SIGTERM and SIGINT do in main; it is safe to call more than once.
func startServer(t *testing.T, args ...string) (base string, logs *testutil.Buffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &testutil.Buffer{}
	done := make(chan error, 1)
	args = append([]string{"serve", "--listen", "127.0.0.1:0", "--database", filepath.Join(t.TempDir(), "e2e.db")}, args...)
	go func() { done <- run(ctx, args, os.Getenv, strings.NewReader(""), io.Discard, logs) }()
	addr := logs.WaitFor(t, listeningRE, 30*time.Second)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("server did not stop within 20 s")
			}
		})
	}
	t.Cleanup(stop)
	return "http://" + addr, logs, stop
}

// The README's run command: defaults, no config. Within 60 s a WebSocket
// client sees the simulator's ABEND as alert.opened, and the dashboard lists it.
func TestEndToEndDefaultsAlertReachesWebSocketAndDashboard(t *testing.T) {
	t.Parallel()
	base, _, _ := startServer(t)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws?since=0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	deadline := time.Now().Add(60 * time.Second)
	var alert struct {
		ID      int64  `json:"id"`
		Group   string `json:"group"`
		Message string `json:"message"`
		Speech  struct{ Ko, En string }
	}
	lastSeq := int64(0)
	for {
		ws.SetReadDeadline(deadline)
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("no alert.opened within 60 s: %v", err)
		}
		var m struct {
			Seq   int64           `json:"seq"`
			Type  string          `json:"type"`
			Alert json.RawMessage `json:"alert"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("bad message %s: %v", data, err)
		}
		if m.Seq != 0 {
			if m.Seq != lastSeq+1 {
				t.Fatalf("seq %d after %d: a gap or duplicate", m.Seq, lastSeq)
			}
			lastSeq = m.Seq
		}
		if m.Type == "alert.opened" {
			if err := json.Unmarshal(m.Alert, &alert); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if alert.Group != "REP1" || alert.Speech.Ko == "" || alert.Speech.En == "" {
		t.Fatalf("alert = %+v, want REP1 with speech in both languages", alert)
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `data-alert-id="`) || !strings.Contains(string(body), "REPLICAT REP1 is ABENDED") {
		t.Fatalf("dashboard (status %d) does not list the alert:\n%s", resp.StatusCode, body)
	}
}

func TestCheckOnceJSON(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"check", "--once", "--json"}, os.Getenv, nil, &out, &errOut)
	if err != nil {
		t.Fatalf("check on the demo at start: %v (%s)", err, errOut.String())
	}
	sc := bufio.NewScanner(&out)
	lines := 0
	for sc.Scan() {
		lines++
		var r checkResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if r.Target != "demo" || r.Kind != "simulator" || !r.OK || len(r.Processes) != 6 || r.Processes[0].Program != "MANAGER" {
			t.Fatalf("result = %+v", r)
		}
		if !strings.Contains(sc.Text(), `"lag_seconds":null`) || !strings.Contains(sc.Text(), `"findings":[]`) {
			t.Fatalf("JSON shape: %s", sc.Text())
		}
	}
	if lines != 1 {
		t.Fatalf("%d lines, want 1", lines)
	}
}

func TestCheckOnceExitCodesFollowNagios(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, doc string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		doc  string
		want int
	}{
		{"ok", "targets: [{name: a, kind: simulator}]\n", 0},
		{"unknown: target cannot be checked", "targets: [{name: a, kind: ggsci, command: [\"/nonexistent/ggsci\"], timeout: 2s}]\n", 3},
		{"warning: an EXTRACT stopped", fakeGGSCI("ggsci_info_all_19c_stopped_extract_13_groups.txt"), 1},
		{"critical: a REPLICAT abended", fakeGGSCI("ggsci_info_all_abended_lag_over_24h.txt"), 2},
		{"critical beats unknown", fakeGGSCI("ggsci_info_all_abended_lag_over_24h.txt") +
			"  - {name: b, kind: ggsci, command: [\"/nonexistent/ggsci\"], timeout: 2s}\n", 2},
	}
	for _, tc := range cases {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"check", "--once", "--json", "--config", write(tc.name+".yaml", tc.doc)}, os.Getenv, nil, &out, &errOut)
		code := 0
		var ee exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if code != tc.want {
			t.Errorf("%s: exit %d, want %d (out %s, err %s)", tc.name, code, tc.want, out.String(), errOut.String())
		}
	}
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(p, []byte("targets:\n  - name: a\n    kind: simulator\n    schedule: nope\n"), 0o600)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"config", "check", p}, os.Getenv, nil, &out, &errOut)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(errOut.String(), "line 4") || !strings.Contains(errOut.String(), "targets[0].schedule") {
		t.Fatalf("err %v, stderr %q", err, errOut.String())
	}
}

// fakeGGSCI is a config whose one ggsci target replays an OGG fixture.
func fakeGGSCI(fixture string) string {
	return "targets:\n  - {name: east, kind: ggsci, command: [\"monitor/ggsci/testdata/fake_ggsci.sh\", \"monitor/ggsci/testdata/" + fixture + "\"]}\n"
}

func TestConfigCheckNeedsNoSecrets(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "ma.yaml")
	os.WriteFile(p, []byte("targets:\n  - {name: ma, kind: rest, url: \"https://ma:9011\", username: u, password_env: SYNCMON_TEST_UNSET_PW}\n"), 0o600)
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"config", "check", p}, func(string) string { return "" }, nil, &out, &errOut); err != nil {
		t.Fatalf("config check without the secret: %v (%s)", err, errOut.String())
	}
	if !strings.Contains(out.String(), "SYNCMON_TEST_UNSET_PW") {
		t.Fatalf("output %q does not note the unset variable", out.String())
	}
}
