package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// A node that read another's log takes over (cluster mode): it records
// writer.changed, which a third node applies as it is, and, its engine
// memory rebuilt from its read model, it keeps the open alert while the
// abend continues and resolves that same alert when it clears.
func TestTakeOverKeepsTheReadModelsAlerts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old, next, third := mustOpen(t, filepath.Join(dir, "old.db")), mustOpen(t, filepath.Join(dir, "next.db")), mustOpen(t, filepath.Join(dir, "third.db"))
	record(t, old, running("east", "REP1"))
	record(t, old, abended("east", "REP1"))
	events, err := old.EventsAfter(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, rm := range []*store.Store{next, third} {
		if err := rm.AdoptEpoch(ctx, old.Epoch()); err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if err := rm.ApplyEvent(ctx, e.Seq, e.JSON()); err != nil {
				t.Fatal(err)
			}
		}
	}
	opened := func(s *store.Store) []monitor.Alert {
		var out []monitor.Alert
		all, err := s.EventsAfter(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range all {
			if e.Type == monitor.AlertOpened {
				out = append(out, *e.Alert)
			}
		}
		return out
	}
	first := opened(next)
	if len(first) != 1 {
		t.Fatalf("read model: %d alert.opened", len(first))
	}

	seq, err := next.RecordWriterChange(ctx, "syncmon-2", 42)
	if err != nil || seq != old.Head()+1 {
		t.Fatalf("writer.changed: seq %d (head was %d), %v", seq, old.Head(), err)
	}
	marker, err := next.EventsAfter(ctx, seq-1, 1)
	if err != nil || len(marker) != 1 || marker[0].Type != store.TypeWriterChanged ||
		!strings.Contains(string(marker[0].JSON()), `"writer":{"node":"syncmon-2","term":42}`) {
		t.Fatalf("marker %v: %v", marker, err)
	}
	if err := third.ApplyEvent(ctx, seq, marker[0].JSON()); err != nil {
		t.Fatal(err)
	}
	if got, err := third.EventsAfter(ctx, seq-1, 1); err != nil || string(got[0].JSON()) != string(marker[0].JSON()) {
		t.Fatalf("applied elsewhere: %s, %v", got[0].JSON(), err)
	}

	if err := next.RebuildMemory(ctx, []monitor.Target{targetNamed("east")}); err != nil {
		t.Fatal(err)
	}
	record(t, next, abended("east", "REP1"))
	record(t, next, abended("east", "REP1"))
	if got := opened(next); len(got) != 1 {
		t.Fatalf("the abend continues on the new writer: %d alert.opened", len(got))
	}
	record(t, next, running("east", "REP1"))
	active, err := next.Alerts(ctx, store.AlertFilter{State: "active"})
	if err != nil || len(active) != 0 {
		t.Fatalf("after the abend cleared: active %+v, %v", active, err)
	}
	a, err := next.Alert(ctx, first[0].ID)
	if err != nil || a.State != monitor.StateResolved {
		t.Fatalf("alert %d: %+v, %v", first[0].ID, a, err)
	}
}
