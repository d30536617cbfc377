package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/syncmon/syncmon/store"
)

// A read model that applies another store's events, in order, ends with
// the same alerts, the same targets and the same events under the same
// seqs, and hands them to its own subscribers; applying again is harmless
// and a gap is refused.
func TestApplyEventsProducedElsewhere(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writer := mustOpen(t, filepath.Join(dir, "writer.db"))
	reader := mustOpen(t, filepath.Join(dir, "reader.db"))

	record(t, writer, abended("east", "REP1"))
	a, _, err := writer.CreateTestAlert(ctx, store.Actor{Name: "adam"}, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Ack(ctx, store.Actor{Name: "adam"}, a.ID, "seen"); err != nil {
		t.Fatal(err)
	}
	record(t, writer, running("east", "REP1"))
	events, err := writer.EventsAfter(ctx, 0, 1000)
	if err != nil || len(events) < 4 {
		t.Fatalf("%d events, %v", len(events), err)
	}

	if err := reader.AdoptEpoch(ctx, writer.Epoch()); err != nil || reader.Epoch() != writer.Epoch() {
		t.Fatalf("adopt: %v, epoch %s", err, reader.Epoch())
	}
	sub, _, err := reader.Subscribe(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	got := make(chan store.Event, len(events))
	sub.Start(func(e store.Event) bool { got <- e; return true })

	if err := reader.ApplyEvent(ctx, events[1].Seq, events[1].JSON()); !errors.Is(err, store.ErrSeqGap) {
		t.Fatalf("applying seq %d first: %v, want ErrSeqGap", events[1].Seq, err)
	}
	for _, e := range events {
		for range 2 { // the second time is skipped
			if err := reader.ApplyEvent(ctx, e.Seq, e.JSON()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if reader.Head() != writer.Head() {
		t.Fatalf("head %d, want %d", reader.Head(), writer.Head())
	}
	for _, want := range events {
		select {
		case e := <-got:
			if e.Seq != want.Seq || string(e.JSON()) != string(want.JSON()) {
				t.Fatalf("delivered %s, want %s", e.JSON(), want.JSON())
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("seq %d never delivered", want.Seq)
		}
	}
	applied, err := reader.EventsAfter(ctx, 0, 1000)
	if err != nil || len(applied) != len(events) {
		t.Fatalf("%d applied events, %v", len(applied), err)
	}
	for i := range events {
		if string(applied[i].JSON()) != string(events[i].JSON()) {
			t.Fatalf("event %d: %s, want %s", i, applied[i].JSON(), events[i].JSON())
		}
	}
	for _, state := range []string{"open", "acked", "resolved"} {
		w, err1 := writer.Alerts(ctx, store.AlertFilter{State: state})
		r, err2 := reader.Alerts(ctx, store.AlertFilter{State: state})
		if err1 != nil || err2 != nil || !reflect.DeepEqual(jsonOf(t, w), jsonOf(t, r)) {
			t.Fatalf("%s alerts differ:\nwriter %s\nreader %s", state, jsonOf(t, w), jsonOf(t, r))
		}
	}
	ws, err1 := writer.State(ctx)
	rs, err2 := reader.State(ctx)
	if err1 != nil || err2 != nil || jsonOf(t, ws.Targets) != jsonOf(t, rs.Targets) {
		t.Fatalf("state differs:\nwriter %s\nreader %s", jsonOf(t, ws.Targets), jsonOf(t, rs.Targets))
	}
	if err := reader.AdoptEpoch(ctx, "another"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a read model with events adopting another log: %v", err)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
