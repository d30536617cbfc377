package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// The page tests drive the real binary's scheduler and alert engine with a
// fake GGSCI: each ggsci target's command is the ggsci package's
// testdata/fake_ggsci.sh, which
// answers INFO ALL with the text of a file the test rewrites. The
// scheduler reads it every second, so a state the test writes is what the
// engine sees from the next check on.

// ggProc is one row of INFO ALL.
type ggProc struct {
	program, group, status string
	lag, age               int64 // seconds: Lag at Chkpt, Time Since Chkpt
}

// infoAll is GGSCI's INFO ALL answer listing procs, as OGG 19c prints it.
func infoAll(procs ...ggProc) string {
	var b strings.Builder
	b.WriteString("GGSCI (e2e) 1> info all\n\nProgram     Status      Group       Lag at Chkpt  Time Since Chkpt\n\n")
	hms := func(s int64) string { return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60) }
	for _, p := range procs {
		if p.group == "" {
			fmt.Fprintf(&b, "%-12s%s\n", p.program, p.status)
			continue
		}
		fmt.Fprintf(&b, "%-12s%-12s%-12s%-14s%s\n", p.program, p.status, p.group, hms(p.lag), hms(p.age))
	}
	return b.String()
}

// healthy is the simulator's deployment at rest: a manager, three extracts
// and two replicats, all running with a few seconds of lag.
func healthy() []ggProc {
	return []ggProc{{"MANAGER", "", "RUNNING", 0, 0},
		{"EXTRACT", "EXT1", "RUNNING", 3, 6}, {"EXTRACT", "EXT2", "RUNNING", 5, 5}, {"EXTRACT", "PUMP1", "RUNNING", 1, 4},
		{"REPLICAT", "REP1", "RUNNING", 4, 7}, {"REPLICAT", "REP2", "RUNNING", 2, 5}}
}

// rep1Abended is healthy with REPLICAT REP1 abended, as the simulator's
// scenario has it 30 s in.
func rep1Abended() []ggProc {
	p := healthy()
	p[4] = ggProc{"REPLICAT", "REP1", "ABENDED", 6, 18}
	return p
}

// fakeGGSCI is the path of the fake GGSCI script.
func fakeGGSCI(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "monitor", "ggsci", "testdata", "fake_ggsci.sh"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// stateFile is where target's fake GGSCI reads its INFO ALL answer.
func (a *proc) stateFile(target string) string { return filepath.Join(a.dir, target+".infoall") }

// set makes target's next checks see procs. The file is replaced whole
// (rename), so that a check never reads half of it.
func (a *proc) set(t *testing.T, target string, procs ...ggProc) {
	t.Helper()
	tmp := a.stateFile(target) + ".new"
	if err := os.WriteFile(tmp, []byte(infoAll(procs...)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, a.stateFile(target)); err != nil {
		t.Fatal(err)
	}
}

// abend makes prod-east's REPLICAT REP1 abend and returns the alert that
// opened.
func (a *proc) abend(t *testing.T) monitor.Alert {
	t.Helper()
	a.set(t, "prod-east", rep1Abended()...)
	return a.waitAlert(t, "REP1", monitor.RuleProcessStatus, "open", nil)
}

// waitAlert waits until /api/alerts holds an active alert of group and
// rule that is in state and satisfies ok (nil: any), and returns it.
func (a *proc) waitAlert(t *testing.T, group, rule, state string, ok func(monitor.Alert) bool) monitor.Alert {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last []monitor.Alert
	for {
		var out struct {
			Alerts []monitor.Alert `json:"alerts"`
		}
		a.api(t, http.MethodGet, "/api/alerts?state=active", nil, http.StatusOK, &out)
		last = out.Alerts
		for _, al := range last {
			if al.Group == group && al.Rule == rule && al.State == state && (ok == nil || ok(al)) {
				return al
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s %s alert for %s within 20 s among %+v", state, rule, group, last)
		}
		time.Sleep(100 * time.Millisecond) // a poll interval, not a settle
	}
}

// alertByID is GET /api/alerts/{id}.
func (a *proc) alertByID(t *testing.T, id int64) monitor.Alert {
	t.Helper()
	var out struct {
		Alert monitor.Alert `json:"alert"`
	}
	a.api(t, http.MethodGet, fmt.Sprintf("/api/alerts/%d", id), nil, http.StatusOK, &out)
	return out.Alert
}

// api calls the JSON API as admin (HTTP Basic), wants the status and
// decodes the answer into out (nil: none).
func (a *proc) api(t *testing.T, method, path string, in any, want int, out any) {
	t.Helper()
	a.apiAs(t, "admin", a.password, method, path, in, want, out)
}

func (a *proc) apiAs(t *testing.T, user, password, method, path string, in any, want int, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.url(path), body)
	if err != nil {
		t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %s %s; want %d", method, path, resp.Status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// addAdmin creates an admin account and returns its password.
func (a *proc) addAdmin(t *testing.T, name string) string { return a.addUser(t, name, "admin") }

// addUser creates an account with `syncmon user add`, the password on
// stdin, as an operator does, and returns the password.
func (a *proc) addUser(t *testing.T, name, role string) string {
	t.Helper()
	pw := "correct horse " + name
	cmd := exec.Command(syncmonBinary(t, a.version), "user", "add", name, "--role", role, "--config", filepath.Join(a.dir, "syncmon.yaml"))
	cmd.Stdin = strings.NewReader(pw + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("syncmon user add %s: %v\n%s", name, err, out)
	}
	return pw
}
