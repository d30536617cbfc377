package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncmon/syncmon/internal/testutil"
	"github.com/syncmon/syncmon/monitor"
)

// chattr sets or clears the immutable flag: unlike a mode, it stops root
// and writes through descriptors already open.
func chattr(t *testing.T, flag string, paths ...string) error {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if out, err := exec.Command("chattr", flag, p).CombinedOutput(); err != nil {
			return fmt.Errorf("chattr %s %s: %v %s", flag, p, err, out)
		}
	}
	return nil
}

// The database file (and its WAL) made read-only under the running server:
// the ABEND still reaches the screen with a syncmon/store alert, and is
// recorded once the file is writable again.
func TestFaultDatabaseReadOnly(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "syncmon.db")
	ogg := newFakeOGG(t)
	srv := startBinary(t, db, ogg.target(""))
	sc := dialScreen(t, srv.base, "")
	sc.wait(t, 0, 20*time.Second, "hello", func(e wireEvent) bool { return e.Type == "hello" })
	files := []string{db, db + "-wal"}
	testutil.RequireTool(t, "chattr +i", chattr(t, "+i", files...))
	t.Cleanup(func() { _ = chattr(t, "-i", files...) })

	_, from := sc.wait(t, 0, 30*time.Second, "a syncmon/store alert", isAlert("alert.opened", monitor.RuleSyncMon, monitor.ComponentStore, true))
	ogg.set(t, infoAbended)
	sc.wait(t, from, 5*time.Second, "the ABEND, unpersisted", isAlert("alert.opened", monitor.RuleProcessStatus, "REP1", true))

	if err := chattr(t, "-i", files...); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the ABEND recorded and the store alert resolved", func() bool {
		active := apiAlerts(t, srv.base, "active")
		return findAlert(active, monitor.RuleProcessStatus, "REP1") != nil && findAlert(active, monitor.RuleSyncMon, monitor.ComponentStore) == nil
	})
	assertSeqsIncrease(t, sc)
}

// The database deleted, then another file put in its place, under the
// running server: each is told as a syncmon/store alert, and checks go on.
func TestFaultDatabaseDeletedOrReplaced(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "syncmon.db")
	ogg := newFakeOGG(t)
	srv := startBinary(t, db, ogg.target(""))
	sc := dialScreen(t, srv.base, "")
	sc.wait(t, 0, 20*time.Second, "hello", func(e wireEvent) bool { return e.Type == "hello" })

	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(db + suffix)
	}
	e, from := sc.wait(t, 0, 15*time.Second, "a syncmon/store alert for the deleted file", func(e wireEvent) bool {
		return isAlert("alert.opened", monitor.RuleSyncMon, monitor.ComponentStore, e.Unpersisted)(e) && strings.Contains(e.Alert.Message, "deleted")
	})
	if e.Alert.Severity != "critical" {
		t.Fatalf("store alert %s, want critical", e.raw)
	}
	ogg.set(t, infoAbended)
	sc.wait(t, from, 5*time.Second, "the ABEND after the deletion", func(e wireEvent) bool {
		return isAlert("alert.opened", monitor.RuleProcessStatus, "REP1", e.Unpersisted)(e)
	})

	if err := os.WriteFile(db, []byte("not the database"), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the log to say the file was replaced", func() bool {
		return strings.Contains(srv.Logs.String(), "was replaced under the running server")
	})
	if findAlert(apiAlerts(t, srv.base, "active"), monitor.RuleSyncMon, monitor.ComponentStore) == nil {
		t.Fatal("the store alert resolved while the file is still not SyncMon's")
	}
	if !srv.Alive() {
		t.Fatalf("syncmon exited:\n%s", srv.Logs.String())
	}
	assertSeqsIncrease(t, sc)
}

// SIGSTOP, then SIGCONT: the screen notices the silence (no ping for longer
// than the ping interval plus a watchdog of 3 intervals), resumes from its
// last seq on a new connection, and gets what happened meanwhile once. 5 s
// stands for the 30 s: past 1 s pings and the watchdog the length
// changes nothing on either side (TCP holds the line; nothing times out).
func TestFaultSIGSTOP(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "syncmon.db")
	ogg := newFakeOGG(t)
	srv := startBinary(t, db, ogg.target(""))
	sc := dialScreen(t, srv.base, "?since=0")
	sc.wait(t, 0, 20*time.Second, "hello", func(e wireEvent) bool { return e.Type == "hello" })
	sc.wait(t, 0, 20*time.Second, "a ping", func(e wireEvent) bool { return e.Type == "ping" })

	if err := srv.Cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	n := len(sc.events())
	const watchdog = 4 * time.Second // ping 1 s + 3 missed
	time.Sleep(5 * time.Second)      // the fault itself: the server stays stopped this long
	if got := len(sc.events()); got != n {
		t.Fatalf("%d messages from a stopped server", got-n)
	}
	if time.Since(stopped) < watchdog {
		t.Fatal("stopped for less than the watchdog")
	}
	var last int64
	for _, e := range sc.events() {
		if e.Seq != nil && *e.Seq > last {
			last = *e.Seq
		}
	}
	sc.conn.Close() // the screen's watchdog fired: it drops the silent line
	ogg.set(t, infoAbended)
	if err := srv.Cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	sc2 := dialScreen(t, srv.base, "?since="+strconv.FormatInt(last, 10))
	sc2.wait(t, 0, 15*time.Second, "the ABEND after SIGCONT", isAlert("alert.opened", monitor.RuleProcessStatus, "REP1", false))
	sc2.wait(t, 0, 5*time.Second, "a ping", func(e wireEvent) bool { return e.Type == "ping" })
	seen := map[int64]bool{}
	for _, e := range append(sc.events(), sc2.events()...) {
		if e.Seq == nil || *e.Seq == 0 {
			continue
		}
		if seen[*e.Seq] {
			t.Fatalf("seq %d received twice", *e.Seq)
		}
		seen[*e.Seq] = true
	}
	assertSeqsIncrease(t, sc2)
}

// The wall clock set back 1 hour under the running server (through
// SYNCMON_CLOCK_OFFSET_FILE, see clock.go): a syncmon/clock alert, and
// events go on with seqs that keep increasing.
func TestFaultClockSetBack(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "syncmon.db")
	off := filepath.Join(t.TempDir(), "offset")
	if err := os.WriteFile(off, []byte("0s"), 0o644); err != nil {
		t.Fatal(err)
	}
	ogg := newFakeOGG(t)
	srv := startBinary(t, db, ogg.target(""), clockOffsetEnv+"="+off)
	sc := dialScreen(t, srv.base, "?since=0")
	sc.wait(t, 0, 20*time.Second, "hello", func(e wireEvent) bool { return e.Type == "hello" })
	time.Sleep(3 * time.Second) // the self-monitor's first looks, before the jump
	if err := os.WriteFile(off, []byte("-1h"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, from := sc.wait(t, 0, 15*time.Second, "a syncmon/clock alert", isAlert("alert.opened", monitor.RuleSyncMon, monitor.ComponentClock, false))
	if !strings.Contains(e.Alert.Message, "back") {
		t.Fatalf("clock alert %s, want it to say the clock went back", e.raw)
	}
	ogg.set(t, infoAbended)
	a, _ := sc.wait(t, from, 5*time.Second, "the ABEND after the jump", isAlert("alert.opened", monitor.RuleProcessStatus, "REP1", false))
	if d := time.Since(a.Alert.OpenedAt); d < 55*time.Minute || d > 65*time.Minute {
		t.Fatalf("ABEND opened_at %s: want the shifted clock's time, an hour back", a.Alert.OpenedAt)
	}
	assertSeqsIncrease(t, sc)
}

// An OGG command that writes 1 GB to stdout: the check fails as
// unreadable, and SyncMon's memory stays bounded (peak RSS).
func TestFaultHugeOGGOutput(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "syncmon.db")
	body := "targets:\n  - {name: east, kind: ggsci, schedule: \"@every 2s\", collect: [], command: [\"sh\", \"-c\", \"head -c 1073741824 /dev/zero | tr '\\\\0' x\"]}\n"
	srv := startBinary(t, db, body)
	sc := dialScreen(t, srv.base, "?since=0")
	e, _ := sc.wait(t, 0, 60*time.Second, "the check judged unreadable", func(e wireEvent) bool {
		return e.Type == "alert.opened" && e.Alert != nil && e.Alert.Target == "east"
	})
	t.Logf("alert: %s", e.Alert.Message)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", srv.Cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	var peakKB int64
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			peakKB, _ = strconv.ParseInt(f[1], 10, 64)
		}
	}
	t.Logf("peak RSS %d MiB", peakKB>>10)
	if peakKB == 0 || peakKB > 200<<10 {
		t.Fatalf("peak RSS %d KiB, want under 200 MiB", peakKB)
	}
}

// The errlog file replaced by a directory: SyncMon stays up, says so in its
// log, and the target's checks (and their alerts) go on.
func TestFaultErrLogBecomesDirectory(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "syncmon.db")
	logDir := t.TempDir()
	errlog := filepath.Join(logDir, "ggserr.log")
	if err := os.WriteFile(errlog, []byte("2026-11-24T10:00:00.000+00:00  INFO    OGG-00975  Oracle GoldenGate Manager for Oracle:  started.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ogg := newFakeOGG(t)
	srv := startBinary(t, db, ogg.target(", errlog: "+strconv.Quote(errlog)))
	sc := dialScreen(t, srv.base, "?since=0")
	sc.wait(t, 0, 20*time.Second, "hello", func(e wireEvent) bool { return e.Type == "hello" })
	if err := os.Remove(errlog); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(errlog, 0o755); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the log to name the errlog problem", func() bool {
		return strings.Contains(srv.Logs.String(), "ggserr.log")
	})
	ogg.set(t, infoAbended)
	sc.wait(t, 0, 10*time.Second, "the ABEND after the errlog became a directory", isAlert("alert.opened", monitor.RuleProcessStatus, "REP1", false))
	resp, err := http.Get(srv.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !srv.Alive() {
		t.Fatalf("healthz %d, alive %v", resp.StatusCode, srv.Alive())
	}
}
