package monitor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

func groups(fs []monitor.Finding) map[string]monitor.Finding {
	out := map[string]monitor.Finding{}
	for _, f := range fs {
		if f.Rule != monitor.RuleSyncMon || f.Program != monitor.SelfProgram {
			continue // not SyncMon's own: the assertions below miss it
		}
		out[f.Group] = f
	}
	return out
}

func TestSelfWatchStoreFailureIsCriticalAndUnhealthy(t *testing.T) {
	fail := errors.New("database or disk is full")
	var storeErr error
	w := &monitor.SelfWatch{Store: func(context.Context) error { return storeErr }}
	if got := groups(w.Findings(context.Background(), time.Now())); len(got) != 0 {
		t.Fatalf("healthy store: findings %v", got)
	}
	if ok, _ := w.Healthy(); !ok {
		t.Fatal("unhealthy with nothing wrong")
	}
	storeErr = fail
	f, ok := groups(w.Findings(context.Background(), time.Now()))[monitor.ComponentStore]
	if !ok || f.Severity != monitor.SeverityCritical || f.Speech.Ko == "" || f.Speech.En == "" {
		t.Fatalf("store finding = %+v", f)
	}
	if ok, why := w.Healthy(); ok || why == "" {
		t.Fatalf("Healthy = %v %q during a store failure", ok, why)
	}
}

func TestSelfWatchChecksStalledOrAllFailing(t *testing.T) {
	start := time.Now()
	h := monitor.SchedulerHealth{Started: start, LastFinished: start, Period: time.Second, Targets: 2}
	w := &monitor.SelfWatch{Checks: func() monitor.SchedulerHealth { return h }}
	if got := groups(w.Findings(context.Background(), start.Add(2*time.Second))); len(got) != 0 {
		t.Fatalf("2 periods idle: %v", got)
	}
	if _, ok := groups(w.Findings(context.Background(), start.Add(4*time.Second)))[monitor.ComponentCheck]; !ok {
		t.Fatal("no checks finding after 4 idle periods")
	}
	if ok, _ := w.Healthy(); ok {
		t.Fatal("healthy with the scheduler stalled")
	}
	h.LastFinished = start.Add(4 * time.Second)
	h.Failing = []string{"east"}
	if got := groups(w.Findings(context.Background(), start.Add(5*time.Second))); len(got) != 0 {
		t.Fatalf("one of two failing: %v", got)
	}
	h.Failing = []string{"east", "west"}
	if _, ok := groups(w.Findings(context.Background(), start.Add(5*time.Second)))[monitor.ComponentCheck]; !ok {
		t.Fatal("no checks finding with every target failing")
	}
	h.Targets, h.Failing = 1, []string{"east"}
	if got := groups(w.Findings(context.Background(), start.Add(5*time.Second))); len(got) != 0 {
		t.Fatalf("the only target failing (its own alert says it): %v", got)
	}
}

func TestSelfWatchClockJumpHeldThenCleared(t *testing.T) {
	mono := time.Now()
	wall := mono.Round(0)
	w := &monitor.SelfWatch{Now: func() time.Time { return wall }}
	w.Findings(context.Background(), mono)
	mono, wall = mono.Add(2*time.Second), wall.Add(2*time.Second+30*time.Second) // NTP slew: not a jump
	if got := groups(w.Findings(context.Background(), mono)); len(got) != 0 {
		t.Fatalf("30 s step: %v", got)
	}
	mono, wall = mono.Add(2*time.Second), wall.Add(2*time.Second-time.Hour)
	f, ok := groups(w.Findings(context.Background(), mono))[monitor.ComponentClock]
	if !ok || f.Message == "" {
		t.Fatal("no clock finding after the clock went back an hour")
	}
	mono, wall = mono.Add(monitor.ClockHold-time.Second), wall.Add(monitor.ClockHold-time.Second)
	if _, ok := groups(w.Findings(context.Background(), mono))[monitor.ComponentClock]; !ok {
		t.Fatal("clock finding gone before ClockHold")
	}
	mono, wall = mono.Add(2*time.Second), wall.Add(2*time.Second)
	if _, ok := groups(w.Findings(context.Background(), mono))[monitor.ComponentClock]; ok {
		t.Fatal("clock finding still there after ClockHold")
	}
	if ok, _ := w.Healthy(); !ok {
		t.Fatal("a clock jump alone is not unhealthy (checks and store still work)")
	}
}

func TestSelfWatchNotifyGaveUp(t *testing.T) {
	var chans []string
	w := &monitor.SelfWatch{GaveUp: func() []string { return chans }}
	chans = []string{"ops-webhook"}
	f, ok := groups(w.Findings(context.Background(), time.Now()))[monitor.ComponentNote]
	if !ok || f.Severity != monitor.SeverityWarning {
		t.Fatalf("notify finding = %+v", f)
	}
}

func TestStepSelfOpensAtOnceAndResolvesAtOnce(t *testing.T) {
	now := time.Now()
	f := monitor.Finding{Rule: monitor.RuleSyncMon, Program: monitor.SelfProgram, Group: monitor.ComponentStore, Severity: monitor.SeverityCritical, Message: "m"}
	trs := monitor.StepSelf(nil, []monitor.Finding{f}, nil, now)
	if len(trs) != 1 || trs[0].Type != monitor.AlertOpened || trs[0].Alert.Target != monitor.SelfTarget {
		t.Fatalf("open: %+v", trs)
	}
	a := trs[0].Alert
	a.ID = 1
	if trs := monitor.StepSelf([]monitor.Alert{a}, []monitor.Finding{f}, nil, now); len(trs) != 0 {
		t.Fatalf("still failing: %+v", trs)
	}
	trs = monitor.StepSelf([]monitor.Alert{a}, nil, nil, now)
	if len(trs) != 1 || trs[0].Type != monitor.AlertResolved {
		t.Fatalf("resolve: %+v", trs)
	}
}

// One slow target timing out is not a stall: the stall threshold is 3 of
// the shortest periods plus the longest check timeout.
func TestSelfWatchStallWaitsForTheLongestTimeout(t *testing.T) {
	start := time.Now()
	h := monitor.SchedulerHealth{Started: start, LastFinished: start, Period: time.Second, Timeout: 10 * time.Second, Targets: 1}
	w := &monitor.SelfWatch{Checks: func() monitor.SchedulerHealth { return h }}
	if got := groups(w.Findings(context.Background(), start.Add(12*time.Second))); len(got) != 0 {
		t.Fatalf("12 s idle with a 10 s timeout: %v", got)
	}
	if _, ok := groups(w.Findings(context.Background(), start.Add(14*time.Second)))[monitor.ComponentCheck]; !ok {
		t.Fatal("no checks finding after 3 periods + the timeout")
	}
}

// A store check stuck past StoreTimeout (a write waiting behind a lock,
// deaf to its context) makes SyncMon unhealthy at once, before the look ends.
func TestSelfWatchStuckStoreIsUnhealthyBeforeTheLookEnds(t *testing.T) {
	release := make(chan struct{})
	w := &monitor.SelfWatch{StoreTimeout: 20 * time.Millisecond, Store: func(context.Context) error {
		<-release
		return nil
	}}
	done := make(chan struct{})
	go func() { defer close(done); w.Findings(context.Background(), time.Now()) }()
	waitStuckUnhealthy(t, w, "the store check stuck")
	close(release)
	<-done
	if ok, why := w.Healthy(); !ok {
		t.Fatalf("unhealthy after the store check succeeded: %s", why)
	}
}

// stuckRecorder's RecordSelf waits until released, as a write behind
// another process's lock does.
type stuckRecorder struct{ release chan struct{} }

func (r stuckRecorder) RecordSelf(context.Context, []monitor.Finding) error {
	<-r.release
	return nil
}

// The look's store check passed, then another process took the lock: the
// recording of the look waits behind it. That is a store that cannot
// write, and Healthy says so once it waits past StoreTimeout, not when the
// look ends (the heartbeat would otherwise go on pinging meanwhile).
func TestSelfWatchStuckRecordingIsUnhealthy(t *testing.T) {
	rec := stuckRecorder{release: make(chan struct{})}
	w := &monitor.SelfWatch{StoreTimeout: 20 * time.Millisecond, Rec: rec, Store: func(context.Context) error { return nil }}
	done := make(chan struct{})
	go func() { defer close(done); w.Look(context.Background()) }()
	waitStuckUnhealthy(t, w, "the recording stuck")
	close(rec.release)
	<-done
	if ok, why := w.Healthy(); !ok {
		t.Fatalf("unhealthy after the recording went through: %s", why)
	}
}

// waitStuckUnhealthy waits until w says a store write waits too long.
func waitStuckUnhealthy(t *testing.T, w *monitor.SelfWatch, with string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, why := w.Healthy()
		if !ok && strings.Contains(why, "no write within") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Healthy = %v %q with %s, want unhealthy", ok, why, with)
		}
		time.Sleep(5 * time.Millisecond) // a poll interval
	}
}

// Lost cluster nodes are one warning naming them, and leave the verdict
// healthy: the cluster still writes.
func TestSelfWatchLostNodesWarnAndStayHealthy(t *testing.T) {
	var lost []monitor.LostNode
	w := &monitor.SelfWatch{Lost: func(context.Context) []monitor.LostNode { return lost }}
	if _, ok := groups(w.Findings(context.Background(), time.Now()))[monitor.ComponentNodes]; ok {
		t.Fatal("a nodes finding with no node lost")
	}
	lost = []monitor.LostNode{{Name: "syncmon-3", Since: 31 * time.Second}}
	f, ok := groups(w.Findings(context.Background(), time.Now()))[monitor.ComponentNodes]
	if !ok || f.Severity != monitor.SeverityWarning || !strings.Contains(f.Message, "syncmon-3 (31s)") || f.Speech.En == "" || f.Speech.Ko == "" {
		t.Fatalf("nodes finding = %+v", f)
	}
	if ok, why := w.Healthy(); !ok {
		t.Fatalf("unhealthy with a node lost: %s", why)
	}
}
