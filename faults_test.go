package main

// Faults, each tested with the real binary (faults_helpers_test.go):
// SyncMon must keep telling every screen what happens, say aloud that it is
// in trouble (the syncmon alert), and lose nothing once the fault is gone.

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncmon/syncmon/internal/testutil"
	"github.com/syncmon/syncmon/monitor"
)

// The "done when": the database on a full filesystem, a REPLICAT
// abends; a connected screen is told within 5 s (unpersisted, or recorded
// if SQLite still has a free page for it), alongside a syncmon/store alert. Space returns: with no manual step the ABEND is in
// /api/alerts with its opening time, and the store alert resolves.
func TestFaultDiskFull(t *testing.T) {
	t.Parallel()
	dir := testutil.MountTmpfs(t, "8m")
	ogg := newFakeOGG(t)
	srv := startBinary(t, filepath.Join(dir, "syncmon.db"), ogg.target(""))
	sc := dialScreen(t, srv.base, "")
	sc.wait(t, 0, 20*time.Second, "hello", func(e wireEvent) bool { return e.Type == "hello" })
	eventually(t, 20*time.Second, "the first check recorded", func() bool {
		return srv.Logs.Contains("listening") && len(apiAlerts(t, srv.base, "active")) == 0 && srv.checked()
	})

	filler := testutil.FillDisk(t, dir, "filler")
	// Recorded or, if even that commit fails, shown from memory: SQLite may
	// still have free pages for it (a clean-clone run recorded it).
	storeAlert := func(e wireEvent) bool {
		return isAlert("alert.opened", monitor.RuleSyncMon, monitor.ComponentStore, true)(e) ||
			isAlert("alert.opened", monitor.RuleSyncMon, monitor.ComponentStore, false)(e)
	}
	_, from := sc.wait(t, 0, 30*time.Second, "a syncmon/store alert", storeAlert)
	// Keep the disk full: the database may have freed pages meanwhile.
	fill2 := testutil.FillDisk(t, dir, "filler2")
	abendAt := time.Now()
	ogg.set(t, infoAbended)
	// Told within 5 s: unpersisted when SQLite cannot write it, recorded
	// when it still has a free page for it (the store alert is open
	// either way: the filesystem is nearly full).
	e, _ := sc.wait(t, from, 5*time.Second, "the ABEND", func(e wireEvent) bool {
		return isAlert("alert.opened", monitor.RuleProcessStatus, "REP1", true)(e) ||
			isAlert("alert.opened", monitor.RuleProcessStatus, "REP1", false)(e)
	})
	if e.Alert.Speech.En == "" || e.Alert.Speech.Ko == "" {
		t.Fatalf("ABEND = %s, want speech in both languages", e.raw)
	}
	if unpersisted := e.Seq == nil; unpersisted && e.Alert.ID >= 0 {
		t.Fatalf("unpersisted ABEND = %s, want a temporary (negative) id", e.raw)
	}

	os.Remove(filler)
	os.Remove(fill2)
	var abend *wireAlert
	eventually(t, 30*time.Second, "the ABEND recorded after space returned", func() bool {
		abend = findAlert(apiAlerts(t, srv.base, "active"), monitor.RuleProcessStatus, "REP1")
		return abend != nil
	})
	if d := abend.OpenedAt.Sub(abendAt); d < -time.Second || d > 5*time.Second {
		t.Fatalf("ABEND opened_at %s, want its real time (about %s)", abend.OpenedAt, abendAt)
	}
	eventually(t, 30*time.Second, "the syncmon/store alert resolved", func() bool {
		return findAlert(apiAlerts(t, srv.base, "active"), monitor.RuleSyncMon, monitor.ComponentStore) == nil &&
			findAlert(apiAlerts(t, srv.base, "resolved"), monitor.RuleSyncMon, monitor.ComponentStore) != nil
	})
	sc.wait(t, from, 10*time.Second, "the ABEND's normal event, with a seq", func(e wireEvent) bool {
		return isAlert("alert.opened", monitor.RuleProcessStatus, "REP1", false)(e) && e.Seq != nil && *e.Seq > 0
	})
	assertSeqsIncrease(t, sc)
}

// assertSeqsIncrease: the seqs a screen received never repeat nor go back.
func assertSeqsIncrease(t *testing.T, sc *screen) {
	t.Helper()
	var last int64
	for _, e := range sc.events() {
		if e.Seq == nil || *e.Seq == 0 {
			continue
		}
		if *e.Seq <= last {
			t.Fatalf("seq %d after %d: reused or out of order\n%s", *e.Seq, last, sc.dump())
		}
		last = *e.Seq
	}
}
