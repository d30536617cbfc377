package store

import (
	"context"
	"fmt"

	"github.com/syncmon/syncmon/monitor"
)

// What a node does when it becomes a cluster's writer, before its first
// check (serve_cluster.go): it records that it writes now, and rebuilds the
// engine's memory from its read model.

// TypeWriterChanged is the event a cluster's new writer appends first, once
// it has applied the whole log: it names the writer and its lease term. A
// deposed writer's next append is then fenced at once (its expected last
// seq is stale). Screens ignore it.
const TypeWriterChanged = "writer.changed"

// WriterChange is the body of a writer.changed event.
type WriterChange struct {
	Node string `json:"node"`
	Term uint64 `json:"term"`
}

// RecordWriterChange appends a writer.changed event naming node and term,
// and returns its seq.
func (s *Store) RecordWriterChange(ctx context.Context, node string, term uint64) (int64, error) {
	var seq int64
	err := s.write(ctx, func(w *writeTx) error {
		if err := w.appendEvent(ctx, Event{Type: TypeWriterChanged, Writer: &WriterChange{Node: node, Term: term}}); err != nil {
			return err
		}
		seq = w.events[len(w.events)-1].Seq
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("record the writer change to %s (term %d): %w", node, term, err)
	}
	return seq, nil
}

// RebuildMemory replaces the engine's memory of each target with what this
// read model tells (monitor.Rebuild): the last process table recorded and
// the active alerts, all of which the previous writer put in the log. The
// memory is not in the log; a new writer calls this before its first check
// so that open alerts stay the same alerts.
func (s *Store) RebuildMemory(ctx context.Context, watched []monitor.Target) error {
	err := s.write(ctx, func(w *writeTx) error {
		states, err := targets(ctx, w.Tx)
		if err != nil {
			return err
		}
		byName := map[string]TargetState{}
		for _, st := range states {
			byName[st.Name] = st
		}
		for _, t := range watched {
			mem, err := w.memory(ctx, t.Name)
			if err != nil {
				return err
			}
			active, err := w.activeAlerts(ctx, t.Name)
			if err != nil {
				return err
			}
			st, ok := byName[t.Name]
			var procs []monitor.Process
			if ok && !st.ObservedAt.IsZero() {
				procs = st.Processes
			}
			if err := w.saveMemory(ctx, t.Name, monitor.Rebuild(t, mem, procs, st.ObservedAt, active)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rebuild the engine's memory from the read model: %w", err)
	}
	return nil
}
