package monitor_test

import (
	"reflect"
	"testing"

	"github.com/syncmon/syncmon/monitor"
)

// A new writer (cluster mode) takes over a target another node checked:
// its own memory is from an older tenure (it knew EXT1 only). Rebuilt from
// the read model (the last process table and the active alerts), its first
// check of the same processes changes nothing: no second alert.opened for
// the abend, no "new group" for the REPLICAT the other node already knew.
// Left stale, the same check would open group_new again.
func TestRebuildKeepsTheSameAlertsAcrossWriters(t *testing.T) {
	ext := monitor.Process{Program: "EXTRACT", Group: "EXT1", Status: monitor.StatusRunning}
	rep := monitor.Process{Program: "REPLICAT", Group: "REP1", Status: monitor.StatusRunning}
	abended := rep
	abended.Status = monitor.StatusAbended

	// The new writer's memory, from its last tenure (a fresh copy each
	// time: Step updates a memory's maps in place).
	stale := func() monitor.Memory {
		old := newHarness(t)
		old.check(ext)
		return old.mem
	}

	h := newHarness(t) // the writer that died
	h.check(ext, rep)
	h.check(ext, rep)
	if got := h.check(ext, abended); !reflect.DeepEqual(got, []string{"opened process_status REPLICAT/REP1 critical"}) {
		t.Fatalf("abend: %v", got)
	}
	active := h.list()
	id := active[0].ID

	// Left stale: the other node's group looks new.
	next := *h
	next.active = map[int64]monitor.Alert{id: active[0]}
	next.mem = stale()
	if got := next.check(ext, abended); len(got) == 0 {
		t.Fatalf("a stale memory changed nothing: this test shows nothing")
	}

	// Rebuilt: nothing changes while the condition continues.
	next = *h
	next.active = map[int64]monitor.Alert{id: active[0]}
	next.mem = monitor.Rebuild(next.target, stale(), []monitor.Process{ext, abended}, h.now, active)
	for i := range 3 {
		if got := next.check(ext, abended); len(got) != 0 {
			t.Fatalf("check %d on the new writer: %v", i+1, got)
		}
	}
	// It clears: the same alert resolves after ResolveAfter clear checks.
	if got := next.check(ext, rep); len(got) != 0 {
		t.Fatalf("first clear check: %v", got)
	}
	if got := next.check(ext, rep); !reflect.DeepEqual(got, []string{"resolved process_status REPLICAT/REP1 critical"}) {
		t.Fatalf("second clear check: %v", got)
	}
	if len(next.active) != 0 {
		t.Fatalf("still active: %+v", next.active)
	}
}

// An ogg_error alert the other writer opened stays open on the new one
// until the log has been quiet for ErrLogQuiet, as it would have there.
func TestRebuildKeepsAnOGGErrorOpenUntilQuiet(t *testing.T) {
	ext := monitor.Process{Program: "EXTRACT", Group: "EXT1", Status: monitor.StatusRunning}
	h := newHarness(t)
	a := monitor.Alert{ID: 7, Target: "east", Rule: monitor.RuleOGGError, Program: "EXTRACT", Group: "EXT1",
		Severity: monitor.SeverityCritical, State: monitor.StateOpen, Message: "OGG-00664", OpenedAt: h.now, UpdatedAt: h.now}
	h.active[7] = a
	h.mem = monitor.Rebuild(h.target, monitor.Memory{}, []monitor.Process{ext}, h.now, []monitor.Alert{a})
	for i := range 5 {
		if got := h.check(ext); len(got) != 0 {
			t.Fatalf("check %d: %v", i+1, got)
		}
	}
	h.now = h.now.Add(h.target.Policy.ErrLogQuiet)
	h.check(ext)
	if got := h.check(ext); len(got) != 1 || h.active[7].ID != 0 {
		t.Fatalf("after the quiet period: %v, active %+v", got, h.active)
	}
}
