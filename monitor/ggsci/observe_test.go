package ggsci_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/ggsci"
)

// sessionTarget is a target whose GGSCI is fake_ggsci_session.sh over
// testdata/DIR, writing its commands to the returned transcript.
func sessionTarget(t *testing.T, dir string) (monitor.Target, string) {
	t.Helper()
	transcript := filepath.Join(t.TempDir(), "transcript")
	tg := ggsciTarget(ggsciScript(t, "fake_ggsci_session.sh"), ggsciScript(t, dir), transcript)
	tg.Thresholds = monitor.DefaultThresholds()
	tg.Timeout = 20 * time.Second
	return tg, transcript
}

func readTranscript(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func TestObserveOneSession(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tg, transcript := sessionTarget(t, "session")
	tg.HeartbeatCommand = []string{ggsciScript(t, "fake_sqlplus.sh"), ggsciScript(t, "session/heartbeat.txt")}
	var obs monitor.Observation
	if err := ggsci.NewCollector(tg).Observe(context.Background(), &obs); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"INFO ALL",
		"SEND EXTRACT EXT1, SHOWTRANS", "INFO EXTRACT EXT1, SHOWCH", "STATS EXTRACT EXT1, TOTALSONLY *", "SEND EXTRACT EXT1, STATUS",
		"SEND EXTRACT EXT9, SHOWTRANS", "INFO EXTRACT EXT9, SHOWCH", "STATS EXTRACT EXT9, TOTALSONLY *", "SEND EXTRACT EXT9, STATUS",
		"STATS REPLICAT REP1, TOTALSONLY *", "SEND REPLICAT REP1, STATUS",
		"EXIT",
	}
	if got := readTranscript(t, transcript); !slices.Equal(got, want) {
		t.Errorf("commands:\n%q\nwant (one session, running groups only, REP2 stopped):\n%q", got, want)
	}
	if len(obs.Processes) != 5 || len(obs.Transactions) != 2 || len(obs.Recovery) != 1 || len(obs.Activity) != 2 || len(obs.Heartbeats) != 3 {
		t.Fatalf("observation: %d processes, %d transactions, %d recovery, %d activity, %d heartbeats",
			len(obs.Processes), len(obs.Transactions), len(obs.Recovery), len(obs.Activity), len(obs.Heartbeats))
	}
	if tx := obs.Transactions[0]; tx.Process != "EXT1" || tx.XID != "12.7.40251" || *tx.AgeSeconds < 5*3600-60 || *tx.AgeSeconds > 5*3600+60 {
		t.Errorf("oldest transaction = %+v, want EXT1 12.7.40251 about 5 h old", tx)
	}
	if r := obs.Recovery[0]; r.Process != "EXT1" || r.AgeSeconds < 5*3600-60 {
		t.Errorf("recovery = %+v", r)
	}
	if a := obs.Activity[1]; a.Group != "REP1" || *a.Discards != 7 || a.Position != "seq 37 rba 2218455" {
		t.Errorf("REP1 activity = %+v", a)
	}
	// EXT9 is not running: its commands fail, and nothing else does.
	for _, u := range obs.Unread {
		if u.Group != "EXT9" || !strings.Contains(strings.ToLower(u.Error), "not currently running") {
			t.Errorf("unread %+v: only EXT9 should be", u)
		}
	}
	if len(obs.Unread) != 3 {
		t.Errorf("unread = %+v, want EXT9's transactions, recovery and activity", obs.Unread)
	}
}

func TestObserveCollectNothingIsInfoAllOnly(t *testing.T) {
	tg, transcript := sessionTarget(t, "session")
	tg.Collect = []string{}
	var obs monitor.Observation
	if err := ggsci.NewCollector(tg).Observe(context.Background(), &obs); err != nil {
		t.Fatal(err)
	}
	if got := readTranscript(t, transcript); !slices.Equal(got, []string{"INFO ALL", "EXIT"}) {
		t.Errorf("commands = %q", got)
	}
	if len(obs.Processes) != 5 || obs.Transactions != nil || obs.Recovery != nil || obs.Activity != nil || obs.Heartbeats != nil {
		t.Errorf("observation = %+v, want processes only", obs)
	}
}

// A command that never answers costs its group and the commands after it,
// within its own deadline; the check still reports the process table.
func TestObserveCommandDeadline(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tg, _ := sessionTarget(t, "session_hang")
	tg.Timeout = 8 * time.Second // 2 s a command
	start := time.Now()
	var obs monitor.Observation
	if err := ggsci.NewCollector(tg).Observe(context.Background(), &obs); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("took %s: the command's deadline did not hold", took)
	}
	if len(obs.Processes) != 5 || len(obs.Unread) == 0 || obs.Unread[0].Group != "EXT1" || !strings.Contains(obs.Unread[0].Error, "no prompt") {
		t.Fatalf("observation = %+v", obs)
	}
}

func TestObserveAdminClientConnect(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"info_all.txt", "showtrans_ext1.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", "session", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o600)
	}
	const password = "Tr0ub4dor-and-3"
	os.WriteFile(filepath.Join(dir, "password"), []byte(password), 0o600)
	transcript := filepath.Join(t.TempDir(), "transcript")
	tg := monitor.Target{Name: "ma", Kind: monitor.KindAdminClient, Command: []string{ggsciScript(t, "fake_ggsci_session.sh"), dir, transcript},
		Thresholds: monitor.DefaultThresholds(), Collect: []string{monitor.CollectShowTrans}, Timeout: 20 * time.Second,
		Connect: &monitor.Connect{URL: "https://fake:9011", Deployment: "east", Username: "oggadmin", Password: password}}

	var obs monitor.Observation
	if err := ggsci.NewCollector(tg).Observe(context.Background(), &obs); err != nil {
		t.Fatal(err)
	}
	got := readTranscript(t, transcript)
	if len(got) < 2 || got[0] != "CONNECT https://fake:9011 DEPLOYMENT east AS oggadmin" || got[1] != "INFO ALL" || len(obs.Transactions) != 2 {
		t.Fatalf("commands %q, %d transactions", got, len(obs.Transactions))
	}
	for _, arg := range tg.Command {
		if strings.Contains(arg, password) {
			t.Fatal("the password is in argv")
		}
	}

	tg.Connect.Password = "wrong-password"
	obs = monitor.Observation{}
	err := ggsci.NewCollector(tg).Observe(context.Background(), &obs)
	var refused *ggsci.ErrLoginRefused
	if !errors.Is(err, monitor.ErrCredentials) || !errors.As(err, &refused) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong password: err = %v, want a refused login", err)
	}
	if strings.Contains(err.Error(), "wrong-password") || strings.Contains(err.Error(), password) {
		t.Fatalf("the error %q shows the password", err)
	}
	if obs.Processes != nil {
		t.Fatalf("processes read after a refused login: %+v", obs.Processes)
	}
}

// Without prompts (output buffered until exit) the session cannot be
// driven reply by reply: INFO ALL alone is run, once more, and the deeper
// sources are reported unread.
func TestObserveWithoutPromptsFallsBackToInfoAll(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tg := ggsciTarget(ggsciScript(t, "no_prompt.sh"), ggsciScript(t, "session/info_all.txt"))
	tg.Thresholds, tg.Timeout = monitor.DefaultThresholds(), 8*time.Second
	var obs monitor.Observation
	if err := ggsci.NewCollector(tg).Observe(context.Background(), &obs); err != nil {
		t.Fatal(err)
	}
	if len(obs.Processes) != 5 || obs.Transactions != nil || len(obs.Unread) != 3 || obs.Unread[0].Group != "" {
		t.Fatalf("observation = %+v", obs)
	}
}

// GGSCI dying in the middle of the session, with a child outside its
// process group still holding stdout, costs the commands after it and no
// more than a moment: the check keeps INFO ALL.
func TestObserveSessionDies(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pids")
	tg := ggsciTarget(ggsciScript(t, "session_dies.sh"), pidfile, ggsciScript(t, "session/info_all.txt"))
	tg.Thresholds, tg.Timeout = monitor.DefaultThresholds(), 20*time.Second
	t.Cleanup(func() {
		for _, pid := range ggsciReadPIDs(t, pidfile) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	start := time.Now()
	var obs monitor.Observation
	if err := ggsci.NewCollector(tg).Observe(context.Background(), &obs); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s after GGSCI died", took)
	}
	if len(obs.Processes) != 5 || len(obs.Unread) == 0 || !strings.Contains(obs.Unread[0].Error, "session ended") {
		t.Fatalf("observation = %+v", obs)
	}
}

// With more groups than a check's budget allows, each check reads what
// it can and the next one begins where it stopped.
func TestObserveBudgetRotates(t *testing.T) {
	tg, transcript := sessionTarget(t, "session_slow")
	tg.Timeout = 4 * time.Second // 2 s for the deeper commands, 0.4 s a reply
	c := ggsci.NewCollector(tg)
	var first monitor.Observation
	if err := c.Observe(context.Background(), &first); err != nil {
		t.Fatal(err)
	}
	if len(first.Unread) == 0 || first.Unread[len(first.Unread)-1].Group != "REP1" || !strings.Contains(first.Unread[len(first.Unread)-1].Error, "budget") {
		t.Fatalf("first check: unread %+v, want REP1 left for the next check", first.Unread)
	}
	os.Remove(transcript)
	var second monitor.Observation
	if err := c.Observe(context.Background(), &second); err != nil {
		t.Fatal(err)
	}
	got := readTranscript(t, transcript)
	if len(got) < 2 || got[0] != "INFO ALL" || strings.Contains(got[1], "EXT1") {
		t.Fatalf("second check's commands %q: want it to begin after EXT1", got)
	}
}
