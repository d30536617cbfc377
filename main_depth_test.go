package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The deeper GGSCI commands of issue 15, end to end: check --once against
// a fake GGSCI that replays fixtures for one interactive session, and the
// server pushing long_transaction alerts to a WebSocket client.

const sessionGGSCI = `["monitor/ggsci/testdata/fake_ggsci_session.sh", "monitor/ggsci/testdata/session"]`

func writeConfig(t *testing.T, doc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "syncmon.yaml")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckOnceJSONShowsWhatTheSessionTold(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, `targets:
  - name: east
    kind: ggsci
    command: `+sessionGGSCI+`
    heartbeat_command: ["monitor/ggsci/testdata/fake_sqlplus.sh", "monitor/ggsci/testdata/session/heartbeat.txt"]
  - name: plain
    kind: ggsci
    collect: []
    command: `+sessionGGSCI+`
`)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"check", "--once", "--json", "--config", cfg}, os.Getenv, nil, &out, &errOut)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != nagiosCritical {
		t.Fatalf("exit %v, want critical (a 5-hour transaction); stderr %s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), out.String())
	}
	var east map[string]json.RawMessage
	if err := json.Unmarshal([]byte(lines[0]), &east); err != nil {
		t.Fatal(err)
	}
	var r struct {
		Transactions []struct {
			Process    string `json:"process"`
			XID        string `json:"xid"`
			StartedAt  string `json:"started_at"`
			AgeSeconds int64  `json:"age_seconds"`
			Items      int64  `json:"items"`
		} `json:"transactions"`
		Recovery []struct {
			Process      string `json:"process"`
			CheckpointAt string `json:"checkpoint_at"`
			AgeSeconds   int64  `json:"age_seconds"`
		} `json:"recovery"`
		Activity []struct {
			Group      string `json:"group"`
			Operations *int64 `json:"operations"`
			Discards   *int64 `json:"discards"`
			Position   string `json:"position"`
		} `json:"activity"`
		Heartbeats []struct {
			Direction  string  `json:"direction"`
			From       string  `json:"from"`
			To         string  `json:"to"`
			Path       string  `json:"path"`
			LagSeconds float64 `json:"lag_seconds"`
			AgeSeconds float64 `json:"age_seconds"`
		} `json:"heartbeats"`
		Findings []struct {
			Rule, Group, Severity string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Transactions) != 2 || r.Transactions[0].XID != "12.7.40251" || r.Transactions[0].Process != "EXT1" ||
		r.Transactions[0].AgeSeconds < 5*3600-60 || r.Transactions[0].Items != 4821 || r.Transactions[0].StartedAt == "" {
		t.Errorf("transactions = %+v", r.Transactions)
	}
	if len(r.Recovery) != 1 || r.Recovery[0].Process != "EXT1" || r.Recovery[0].AgeSeconds < 5*3600-60 || r.Recovery[0].CheckpointAt == "" {
		t.Errorf("recovery = %+v", r.Recovery)
	}
	if len(r.Activity) != 2 || r.Activity[1].Group != "REP1" || *r.Activity[1].Discards != 7 || *r.Activity[0].Operations != 151 {
		t.Errorf("activity = %+v", r.Activity)
	}
	if len(r.Heartbeats) != 3 || r.Heartbeats[0].Direction != "incoming" || r.Heartbeats[0].LagSeconds != 4.213802 || r.Heartbeats[2].AgeSeconds != 912.604113 {
		t.Errorf("heartbeats = %+v", r.Heartbeats)
	}
	found := map[string]string{}
	for _, f := range r.Findings {
		found[f.Rule+" "+f.Group] = f.Severity
	}
	if found["long_transaction EXT1"] != "critical" || found["recovery_age EXT1"] != "warning" || found["heartbeat_stale NORTH>WEST ENORTH ==> RNW"] != "critical" {
		t.Errorf("findings = %+v", r.Findings)
	}
	// collect: [] asks nothing beyond INFO ALL: the arrays are absent.
	for _, key := range []string{`"transactions"`, `"recovery"`, `"activity"`, `"heartbeats"`} {
		if strings.Contains(lines[1], key) {
			t.Errorf("collect: [] target shows %s: %s", key, lines[1])
		}
	}
	if !strings.Contains(lines[1], `"processes":[`) {
		t.Errorf("plain target: %s", lines[1])
	}
}

func TestCheckOnceAdminClientRefusedLogin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []string{"info_all.txt"} {
		b, err := os.ReadFile(filepath.Join("monitor/ggsci/testdata/session", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o600)
	}
	os.WriteFile(filepath.Join(dir, "password"), []byte("the-right-one"), 0o600)
	cfg := writeConfig(t, `targets:
  - name: ma-cli
    kind: adminclient
    command: ["monitor/ggsci/testdata/fake_ggsci_session.sh", "`+dir+`"]
    connect: {url: "https://fake:9011", deployment: east, username: oggadmin, password_env: SYNCMON_TEST_ADMINCLIENT_PW}
`)
	const wrong = "Not-The-Password-42"
	getenv := func(k string) string {
		if k == "SYNCMON_TEST_ADMINCLIENT_PW" {
			return wrong
		}
		return ""
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"check", "--once", "--json", "--config", cfg}, getenv, nil, &out, &errOut)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != nagiosUnknown {
		t.Fatalf("exit %v, want unknown (the target could not be checked); out %s", err, out.String())
	}
	if !strings.Contains(out.String(), "login to https://fake:9011 deployment east as oggadmin refused") ||
		!strings.Contains(out.String(), `"rule":"credentials_refused"`) {
		t.Errorf("output does not say the login was refused:\n%s", out.String())
	}
	if strings.Contains(out.String()+errOut.String(), wrong) {
		t.Fatalf("the password appears in the output:\n%s\n%s", out.String(), errOut.String())
	}
}

// readAlert reads WebSocket messages until an alert event of rule, and
// returns it with when it arrived.
func readAlert(t *testing.T, ws *websocket.Conn, rule string, within time.Duration) (typ string, alert map[string]any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ws.SetReadDeadline(deadline)
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("no %s alert within %s: %v", rule, within, err)
		}
		var m struct {
			Type  string         `json:"type"`
			Alert map[string]any `json:"alert"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("bad message %s: %v", data, err)
		}
		if strings.HasPrefix(m.Type, "alert.") && m.Alert["rule"] == rule {
			return m.Type, m.Alert
		}
	}
}

func dialWS(t *testing.T, base string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// (a) SHOWTRANS lists a 5-hour transaction: a critical long_transaction
// alert reaches a WebSocket client.
func TestEndToEndShowTransLongTransactionAlert(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, `auth: {anonymous_viewer: true}
targets:
  - name: east
    kind: ggsci
    schedule: "@every 2s"
    collect: [showtrans]
    command: `+sessionGGSCI+`
`)
	base, _, _ := startServer(t, "--config", cfg)
	ws := dialWS(t, base)
	typ, a := readAlert(t, ws, "long_transaction", 30*time.Second)
	msg, _ := a["message"].(string)
	speech, _ := a["speech"].(map[string]any)
	if typ != "alert.opened" || a["severity"] != "critical" || a["group"] != "EXT1" || !strings.Contains(msg, "12.7.40251") ||
		!strings.Contains(speech["en"].(string), "5 hours") || speech["ko"] == "" {
		t.Fatalf("%s %+v, want a critical long_transaction alert on EXT1 naming 12.7.40251", typ, a)
	}
}

// (b) A WARNLONGTRANS line appended to the followed ggserr.log opens the
// alert within 1 s, without waiting for a check.
func TestEndToEndWarnLongTransLineAlertsWithinASecond(t *testing.T) {
	t.Parallel()
	errlogPath := filepath.Join(t.TempDir(), "ggserr.log")
	cfg := writeConfig(t, `auth: {anonymous_viewer: true}
targets:
  - name: east
    kind: ggsci
    schedule: "@every 1h"
    collect: []
    command: `+sessionGGSCI+`
    errlog: `+errlogPath+`
    thresholds: {transaction_age_warning: 30m, transaction_age_critical: 1h}
`)
	base, logs, _ := startServer(t, "--config", cfg)
	ws := dialWS(t, base)
	// The follower is running once it says it waits for the file; a file
	// that appears later is read from its start.
	logs.WaitFor(t, regexp.MustCompile(`(errlog: waiting for the file to appear)`), 30*time.Second)
	line := "2024-05-14T10:15:12.331+0200  WARNING OGG-01027  Oracle GoldenGate Capture for Oracle, ext2.prm:  Long Running Transaction: XID 3.21.118804, Items 0, Extract EXT2, Redo Thread 2, SCN 2455.4202600001 (10548347311665), Redo Seq #3307, Redo RBA 1183744.\n"
	start := time.Now()
	if err := os.WriteFile(errlogPath, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	typ, a := readAlert(t, ws, "long_transaction", 5*time.Second)
	if took := time.Since(start); took > time.Second {
		t.Errorf("alert after %s, want within 1 s", took)
	}
	msg, _ := a["message"].(string)
	if typ != "alert.opened" || a["severity"] != "critical" || a["group"] != "EXT2" || !strings.Contains(msg, "3.21.118804") {
		t.Fatalf("%s %+v, want a critical long_transaction alert on EXT2 naming 3.21.118804", typ, a)
	}
}
