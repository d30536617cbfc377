package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/rest/resttest"
)

// fleetConfig writes a config with one Service Manager target on the fake.
func fleetConfig(t *testing.T, smURL, schedule string) string {
	t.Helper()
	doc := fmt.Sprintf("auth: {anonymous_viewer: true}\ntargets:\n  - name: fleet\n    kind: rest\n    service_manager_url: %s\n    schedule: %q\n"+
		"    events_interval: 200ms\n    stopped_paths: [dp-archive.01]\n    username: %s\n    password_env: FAKE_OGG_PW\n",
		smURL, schedule, resttest.Username)
	p := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func fleetEnv(k string) string {
	if k == "FAKE_OGG_PW" {
		return resttest.Password
	}
	return os.Getenv(k)
}

func TestCheckOnceServiceManager(t *testing.T) {
	sm := resttest.New(t)
	sm.SetPath("dpeast2north", "abended")
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"check", "--once", "--json", "--config", fleetConfig(t, sm.URL, "@every 10s")}, fleetEnv, nil, &out, &errOut)
	var code exitError
	if !errors.As(err, &code) || code.code != nagiosCritical {
		t.Fatalf("got %v (%s), want exit 2 for the abended path", err, errOut.String())
	}
	line, _ := bufio.NewReader(&out).ReadBytes('\n')
	var r checkResult
	if err := json.Unmarshal(line, &r); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if !r.OK || r.Services == nil || len(*r.Services) != 4 || r.Paths == nil || len(*r.Paths) != 5 ||
		r.Heartbeats == nil || len(*r.Heartbeats) != 2 || r.Transactions == nil || len(*r.Transactions) != 2 {
		t.Fatalf("result = %s", line)
	}
	// The fixtures' transactions date from 2024 and one heartbeat is 15 min
	// old: the deeper rules (rules_depth.go) judge what the REST sources read.
	got := map[string]string{}
	for _, f := range r.Findings {
		got[f.Rule+" "+f.Program] = f.Group + " " + f.Severity
	}
	want := map[string]string{
		"path_status DISTPATH":     "dpeast2north critical", // dp-archive.01 is stopped on purpose
		"long_transaction EXTRACT": "EXT1 critical",
	}
	if hb := got["heartbeat_stale HEARTBEAT"]; !strings.Contains(hb, "NORTH") || !strings.HasSuffix(hb, " critical") {
		t.Errorf("heartbeat_stale = %q, want the NORTH → WEST heartbeat, critical", hb)
	}
	delete(got, "heartbeat_stale HEARTBEAT")
	if len(got) != len(want) {
		t.Fatalf("findings = %+v, want %v", r.Findings, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("finding %s = %q, want %q", k, got[k], v)
		}
	}
	for _, want := range []string{`"deployment":"dep1"`, `"kind":"distribution"`, `"direction":"incoming"`, `"xid":"12.7.40251"`, `"path":"EEAST ==\u003e DPEAST ==\u003e RWEST"`} {
		if !strings.Contains(string(line), want) {
			t.Errorf("JSON lacks %s: %s", want, line)
		}
	}
}

func TestCheckOnceServiceManagerText(t *testing.T) {
	sm := resttest.New(t)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"check", "--once", "--config", fleetConfig(t, sm.URL, "@every 10s")}, fleetEnv, nil, &out, &errOut)
	var code exitError
	if !errors.As(err, &code) || code.code != nagiosCritical {
		t.Fatalf("got %v (%s), want exit 2 (the fixtures' old transaction)", err, errOut.String())
	}
	if strings.Contains(out.String(), "dp-archive.01 is STOPPED") {
		t.Errorf("dp-archive.01 is stopped on purpose, yet reported:\n%s", out.String())
	}
	for _, want := range []string{"SYNCMON CRITICAL", "DISTSRVR", "DISTPATH dep1", "RECVPATH dep1", "dpeast2west", "HEARTBEAT dep1", "EEAST ==> DPEAST ==> RWEST"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// wsAlerts dials /ws?since=0 and returns a function that waits for an
// event whose type and alert match.
func wsAlerts(t *testing.T, base string) func(typ, rule, group string, within time.Duration) bool {
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws?since=0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return func(typ, rule, group string, within time.Duration) bool {
		deadline := time.Now().Add(within)
		for {
			ws.SetReadDeadline(deadline)
			_, data, err := ws.ReadMessage()
			if err != nil {
				return false
			}
			var m struct {
				Type  string        `json:"type"`
				Alert monitor.Alert `json:"alert"`
			}
			if json.Unmarshal(data, &m) == nil && m.Type == typ && (typ == "target.status" || m.Alert.Rule == rule && m.Alert.Group == group) {
				return true
			}
		}
	}
}

func TestEndToEndStoppedPathReachesWebSocket(t *testing.T) {
	sm := resttest.New(t)
	t.Setenv("FAKE_OGG_PW", resttest.Password)
	base, _, _ := startServer(t, "--config", fleetConfig(t, sm.URL, "@every 1s"))
	next := wsAlerts(t, base)
	if !next("target.status", "", "", 10*time.Second) {
		t.Fatal("no first check within 10 s")
	}
	sm.SetPath("dpeast2west", "stopped")
	if !next("alert.opened", monitor.RulePathStatus, "dpeast2west", 10*time.Second) {
		t.Fatal("no path_status alert for the stopped path within 10 s")
	}
}

// A status change served by the PM service reaches a screen as an alert
// within 3 s, although the next scheduled check is an hour away; so does
// an OGG error in the PM message log.
func TestEndToEndStatusChangeWithinThreeSeconds(t *testing.T) {
	sm := resttest.New(t)
	t.Setenv("FAKE_OGG_PW", resttest.Password)
	base, _, _ := startServer(t, "--config", fleetConfig(t, sm.URL, "@every 1h"))
	next := wsAlerts(t, base)
	if !next("target.status", "", "", 10*time.Second) {
		t.Fatal("no first check within 10 s")
	}
	// Let the follower take its baseline (the first poll after the first check).
	deadline := time.Now().Add(10 * time.Second)
	for sm.Hits("/services/v2/monitoring/lastStatusChangeId") < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	sm.SetGroup("EXT1", "abended")
	sm.StatusChange("EXT1", "Extract", "Abend")
	if !next("alert.opened", monitor.RuleProcessStatus, "EXT1", 3*time.Second) {
		t.Fatal("the Abend did not reach the WebSocket client within 3 s")
	}
	sm.Message("REP1", "GGError", "OGG-01668", "PROCESS ABENDING.")
	if !next("alert.opened", monitor.RuleOGGError, "REP1", 3*time.Second) {
		t.Fatal("the OGG-01668 message did not reach the WebSocket client within 3 s")
	}
}
