package store

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/syncmon/syncmon/monitor"
)

// events collects what a subscription is handed.
type events struct{ ch chan Event }

func subscribe(t *testing.T, s *Store) *events {
	t.Helper()
	sub, _, err := s.Subscribe(context.Background(), -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Close)
	ev := &events{ch: make(chan Event, 100)}
	sub.Start(func(e Event) bool { ev.ch <- e; return true })
	return ev
}

// next returns the next alert event, failing after 5 s.
func (ev *events) next(t *testing.T) Event {
	t.Helper()
	for {
		select {
		case e := <-ev.ch:
			if e.Alert != nil {
				return e
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no alert event within 5 s")
		}
	}
}

// none asserts no alert event arrives for a moment (what is in the queue is
// handed over within it: the publisher runs on every commit).
func (ev *events) none(t *testing.T) {
	t.Helper()
	for {
		select {
		case e := <-ev.ch:
			if e.Alert != nil {
				t.Fatalf("unexpected %s %+v", e.Type, e.Alert)
			}
		case <-time.After(300 * time.Millisecond):
			return
		}
	}
}

// While the database cannot write, a check is judged in memory: an ABEND
// opens once (unpersisted, no seq, a temporary id), stays open without a
// repeat, a pre-existing alert resolves; when writes succeed, all of it is
// recorded with the real times, with new seqs after the old head, and the
// engine carries on from what it judged in memory.
func TestOutageJudgesInMemoryThenReplays(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	s, err := Open(ctx, filepath.Join(t.TempDir(), "outage.db"), WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	target := monitor.Target{Name: "east", Kind: "ggsci", Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	obs := func(rep1, rep2 string) monitor.Observation {
		return monitor.Observation{Target: "east", Kind: "ggsci", ObservedAt: clock, Processes: []monitor.Process{
			{Program: "MANAGER", Status: monitor.StatusRunning},
			{Program: "REPLICAT", Group: "REP1", Status: rep1},
			{Program: "REPLICAT", Group: "REP2", Status: rep2},
		}}
	}
	ev := subscribe(t, s)
	if err := s.Record(ctx, target, obs(monitor.StatusRunning, monitor.StatusAbended)); err != nil {
		t.Fatal(err)
	}
	rep2 := ev.next(t)
	if rep2.Type != monitor.AlertOpened || rep2.Seq == 0 {
		t.Fatalf("REP2 = %+v", rep2)
	}
	head := s.Head()

	var failing atomic.Bool
	failing.Store(true)
	s.fault = func() error {
		if failing.Load() {
			return sqlite3.Error{Code: sqlite3.ErrFull}
		}
		return nil
	}
	clock = clock.Add(10 * time.Second)
	abendAt := clock
	if err := s.Record(ctx, target, obs(monitor.StatusAbended, monitor.StatusRunning)); err == nil {
		t.Fatal("Record on a full disk returned no error")
	}
	if err, _ := s.WriteFailure(); err == nil {
		t.Fatal("WriteFailure is nil during the outage")
	}
	got := map[string]Event{}
	for range 2 { // REP1 opens, and REP2 resolving waits for resolve_after clears or not: collect what comes
		select {
		case e := <-ev.ch:
			if e.Alert != nil {
				got[e.Type+" "+e.Alert.Group] = e
			}
		case <-time.After(2 * time.Second):
		}
	}
	open := got["alert.opened REP1"]
	if open.Alert == nil || !open.Unpersisted || open.Seq != 0 || open.Alert.ID >= 0 {
		t.Fatalf("in-memory ABEND = %+v, want unpersisted, no seq, a negative id", open)
	}
	if b := string(open.JSON()); !strings.Contains(b, `"unpersisted":true`) || strings.Contains(b, `"seq"`) {
		t.Fatalf("wire form %s: want unpersisted and no seq", b)
	}
	// The same check again: judged on the in-memory state, so no repeat.
	clock = clock.Add(10 * time.Second)
	_ = s.Record(ctx, target, obs(monitor.StatusAbended, monitor.StatusRunning))
	for e := range drain(ev.ch) {
		if e.Alert != nil && e.Type == monitor.AlertOpened {
			t.Fatalf("the ABEND opened twice in memory: %+v", e)
		}
	}
	if s.Head() != head {
		t.Fatalf("head moved from %d to %d while nothing could be written", head, s.Head())
	}
	// Unpersisted events are live only: a screen resuming does not get them.
	sub, backlog, err := s.Subscribe(ctx, head-1)
	if err != nil {
		t.Fatal(err)
	}
	sub.Close()
	if len(backlog) != 1 || backlog[0].Seq != head || sub.Position() != head {
		t.Fatalf("resume from %d: backlog %+v, position %d; want only seq %d", head-1, backlog, sub.Position(), head)
	}

	failing.Store(false)
	clock = clock.Add(10 * time.Second)
	if err := s.Record(ctx, target, obs(monitor.StatusAbended, monitor.StatusRunning)); err != nil {
		t.Fatal(err)
	}
	e := ev.next(t)
	if e.Type != monitor.AlertOpened || e.Unpersisted || e.Seq != head+1 || e.Alert.Group != "REP1" || e.Alert.ID <= 0 {
		t.Fatalf("replayed = %+v, want REP1 opened with seq %d", e, head+1)
	}
	if !e.Alert.OpenedAt.Equal(abendAt) || !e.At.Equal(abendAt) {
		t.Fatalf("replayed ABEND opened %s (event at %s), want its real time %s", e.Alert.OpenedAt, e.At, abendAt)
	}
	active, err := s.Alerts(ctx, AlertFilter{State: "active"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range active {
		if a.Group == "REP1" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d active REP1 alerts, want 1: %+v", n, active)
	}
	// The engine goes on from memory: REP1 recovers and resolves its real id.
	for range 3 {
		clock = clock.Add(10 * time.Second)
		if err := s.Record(ctx, target, obs(monitor.StatusRunning, monitor.StatusRunning)); err != nil {
			t.Fatal(err)
		}
	}
	for e := range drain(ev.ch) {
		if e.Type == monitor.AlertResolved && e.Alert.Group == "REP1" && e.Alert.ID > 0 {
			return
		}
	}
	t.Fatal("REP1 never resolved after the outage")
}

func drain(ch chan Event) chan Event {
	out := make(chan Event, 100)
	for {
		select {
		case e := <-ch:
			out <- e
		case <-time.After(300 * time.Millisecond):
			close(out)
			return out
		}
	}
}
