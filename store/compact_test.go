package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// clockStore opens a store whose clock the test moves.
func clockStore(tb testing.TB) (*store.Store, *time.Time) {
	tb.Helper()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "compact.db"), store.WithClock(func() time.Time { return now }))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, &now
}

func withLag(obs monitor.Observation, lag int64) monitor.Observation {
	for i := range obs.Processes {
		if obs.Processes[i].Group != "" {
			obs.Processes[i].LagSeconds = &lag
		}
	}
	return obs
}

func allEvents(tb testing.TB, s *store.Store) []store.Event {
	tb.Helper()
	evs, err := s.EventsAfter(context.Background(), 0, 100000)
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

func TestLagOnlyChecksAddNoEvents(t *testing.T) {
	s, now := clockStore(t)
	record(t, s, running("east", "REP1"))
	head := s.Head()
	for i := range 100 {
		*now = now.Add(10 * time.Second)
		record(t, s, withLag(running("east", "REP1"), int64(i%7)))
	}
	if got := s.Head(); got != head {
		t.Fatalf("100 checks whose lag moved: got %d new events, want 0 (lag goes to samples)", got-head)
	}
}

func TestPruneCompactsSupersededStatusKeepingEverySeq(t *testing.T) {
	ctx := context.Background()
	s, now := clockStore(t)
	for i := range 40 { // each check flips REP1: a target.status (and an alert event) every time
		obs := running("east", "REP1")
		if i%2 == 1 {
			obs = abended("east", "REP1")
		}
		record(t, s, obs)
		record(t, s, running("west", "REP1"))
		*now = now.Add(10 * time.Second)
	}
	*now = now.Add(2 * time.Hour)
	record(t, s, running("east", "REP1")) // a change: east's 41st target.status, recent
	if _, err := s.Prune(ctx, store.Retention{Events: 7 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	after := allEvents(t, s)
	if len(after) != int(s.Head()) {
		t.Fatalf("got %d events after prune, want %d: compaction must delete none", len(after), s.Head())
	}
	latest := map[string]int64{}
	for i, e := range after {
		if want := int64(i + 1); e.Seq != want {
			t.Fatalf("event %d: got seq %d, want %d (no gap)", i, e.Seq, want)
		}
		if e.Type == store.TypeTargetStatus {
			latest[e.Target.Name] = e.Seq
		}
	}
	var whole, stubs int
	for _, e := range after {
		switch e.Type {
		case store.TypeTargetStatus:
			whole++
			if e.Seq != latest[e.Target.Name] && e.At.Before(now.Add(-time.Hour)) {
				t.Errorf("seq %d: a superseded target.status older than an hour kept its table", e.Seq)
			}
			if len(e.Target.Processes) == 0 {
				t.Errorf("seq %d: a kept target.status lost its process table", e.Seq)
			}
		case store.TypeSuperseded:
			stubs++
			if e.Target != nil || e.At.IsZero() {
				t.Errorf("seq %d: stub %s, want a type and a time only", e.Seq, e.JSON())
			}
		}
	}
	if whole != 2 || stubs != 40 {
		t.Fatalf("got %d whole target.status and %d stubs, want 2 (east's latest, west's only) and 40", whole, stubs)
	}
	// A screen resuming from the start replays every seq and ends on each target's latest status.
	_, backlog, err := s.Subscribe(ctx, 0)
	if err != nil || len(backlog) != len(after) {
		t.Fatalf("resume from 0: got %d events, %v; want %d", len(backlog), err, len(after))
	}
}

func TestPruneCapsTheEventLog(t *testing.T) {
	ctx := context.Background()
	s, _ := clockStore(t)
	for range 1300 {
		if _, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Prune(ctx, store.Retention{Events: 7 * 24 * time.Hour, MaxEvents: 1000})
	if err != nil || n != 300 {
		t.Fatalf("pruned %d, %v; want the 300 oldest events", n, err)
	}
	if first, _ := s.FirstSeq(ctx); first != 301 {
		t.Fatalf("first seq after the cap: got %d, want 301", first)
	}
	if _, _, err := s.Subscribe(ctx, 10); !errors.Is(err, store.ErrTooOld) {
		t.Fatalf("resume from before the cap: got %v, want ErrTooOld (the screen resets)", err)
	}
	if _, backlog, err := s.Subscribe(ctx, 300); err != nil || len(backlog) != 1000 {
		t.Fatalf("resume from 300: got %d events, %v; want 1000", len(backlog), err)
	}
}

// BenchmarkPruneWithAnHourOfStatus is the prune's steady-state cost at
// 500 simulator-like targets: an hour of target.status events (40 a
// target: a status flip every 90 s) not yet old enough to compact, read
// through the partial index at every pass.
func BenchmarkPruneWithAnHourOfStatus(b *testing.B) {
	ctx := context.Background()
	s, now := clockStore(b)
	for i := range 40 {
		for n := range 500 {
			obs := running(fmt.Sprintf("sim-%03d", n), "REP1")
			if i%2 == 1 {
				obs = abended(obs.Target, "REP1")
			}
			obs.ObservedAt = *now
			record(b, s, obs)
		}
		*now = now.Add(90 * time.Second)
	}
	*now = now.Add(-30 * time.Minute) // the oldest are 30 min old: nothing to compact yet
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Prune(ctx, store.Retention{Events: 7 * 24 * time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
}
