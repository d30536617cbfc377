package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/syncmon/syncmon/monitor"
)

// This file is the read model's side of a shared log (cluster mode): an
// event produced on another node (the writer), read back from the log with
// its seq, is applied into this SQLite: the state it carries (the alert row,
// the target's status and process table) and the event itself, under the
// log's seq, then handed to this store's feed like any committed event. So
// screens, pages and the API of every node are fed from what was applied.
//
// Not yet wired: serve does not read the stream into it (see
// docs/CLUSTER.md, "State of the wiring").

// ErrSeqGap is returned by ApplyEvent when seq is not the next one: the
// caller must read the log from Head()+1.
var ErrSeqGap = errors.New("event seq is not the next one of the read model")

// ApplyEvent applies one event of the shared log, whose seq is seq and whose
// body is its wire form. An event at or below Head() was applied already
// and is skipped (nil), so a reader restarted from anywhere is harmless.
func (s *Store) ApplyEvent(ctx context.Context, seq int64, body []byte) error {
	var e Event
	if err := json.Unmarshal(body, &e); err != nil {
		return fmt.Errorf("apply event %d: decode: %w", seq, err)
	}
	if seq <= s.Head() {
		return nil
	}
	st, err := decodeState(body)
	if err != nil {
		return fmt.Errorf("apply event %d: %w", seq, err)
	}
	err = s.write(ctx, func(w *writeTx) error {
		w.applied = true
		if head, err := headIn(ctx, w); err != nil {
			return err
		} else if seq <= head {
			return nil // applied meanwhile
		} else if seq != head+1 {
			return fmt.Errorf("%w: have %d, got %d", ErrSeqGap, head, seq)
		}
		if e.Alert != nil {
			if err := w.applyAlert(ctx, e.Type, *e.Alert); err != nil {
				return err
			}
		}
		if e.Target != nil {
			if err := w.applyTarget(ctx, *e.Target); err != nil {
				return err
			}
		}
		if st != nil {
			if err := w.applyState(ctx, st); err != nil {
				return err
			}
		}
		e.Seq = seq
		raw, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event %d: %w", seq, err)
		}
		if _, err := w.ExecContext(ctx, `INSERT INTO events (seq, type, at, body) VALUES (?, ?, ?, ?)`,
			seq, e.Type, formatTime(e.At), raw); err != nil {
			return fmt.Errorf("record event %d: %w", seq, err)
		}
		e.raw = raw
		w.events = append(w.events, e)
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply event %d: %w", seq, err)
	}
	return nil
}

func headIn(ctx context.Context, w *writeTx) (int64, error) {
	var head int64
	err := w.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)`).Scan(&head)
	if err != nil {
		return 0, fmt.Errorf("read event head: %w", err)
	}
	return head, nil
}

// applyAlert writes the alert as the event carries it, under its own id.
func (w *writeTx) applyAlert(ctx context.Context, typ string, a monitor.Alert) error {
	var ackedAt, resolvedAt any
	if a.AckedAt != nil {
		ackedAt = formatTime(*a.AckedAt)
	}
	if a.ResolvedAt != nil {
		resolvedAt = formatTime(*a.ResolvedAt)
	}
	if _, err := w.ExecContext(ctx, `INSERT INTO alerts (id, target, program, grp, rule, severity, state, message,
		speech_ko, speech_en, opened_at, updated_at, acked_by, acked_at, comment, resolved_at, test, silenced)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, state = excluded.state, message = excluded.message,
		speech_ko = excluded.speech_ko, speech_en = excluded.speech_en, updated_at = excluded.updated_at,
		acked_by = excluded.acked_by, acked_at = excluded.acked_at, comment = excluded.comment,
		resolved_at = excluded.resolved_at, silenced = excluded.silenced`,
		a.ID, a.Target, a.Program, a.Group, a.Rule, a.Severity, a.State, a.Message, a.Speech.Ko, a.Speech.En,
		formatTime(a.OpenedAt), formatTime(a.UpdatedAt), a.AckedBy, ackedAt, a.Comment, resolvedAt, a.Test, a.Silenced); err != nil {
		return fmt.Errorf("apply alert %d: %w", a.ID, err)
	}
	actor, detail := "syncmon", a.Severity+": "+a.Message
	if typ == monitor.AlertAcked && a.AckedBy != nil {
		actor = *a.AckedBy
		if a.Comment != nil {
			detail = *a.Comment
		}
	}
	if _, err := w.ExecContext(ctx, `INSERT INTO alert_history (alert_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)`,
		a.ID, formatTime(a.UpdatedAt), actor, strings.TrimPrefix(typ, "alert."), detail); err != nil {
		return fmt.Errorf("apply alert %d history: %w", a.ID, err)
	}
	return nil
}

// applyTarget writes the target's status and process table.
func (w *writeTx) applyTarget(ctx context.Context, t TargetState) error {
	at := formatTime(t.ObservedAt)
	if _, err := w.ExecContext(ctx, `INSERT INTO targets (name, kind, reachable, error, observed_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, reachable = excluded.reachable,
		error = excluded.error, observed_at = excluded.observed_at`, t.Name, t.Kind, t.Reachable, t.Error, at); err != nil {
		return fmt.Errorf("apply target %s: %w", t.Name, err)
	}
	if !t.Reachable {
		return nil
	}
	if _, err := w.ExecContext(ctx, `DELETE FROM processes WHERE target = ?`, t.Name); err != nil {
		return fmt.Errorf("apply processes of %s: %w", t.Name, err)
	}
	for _, p := range t.Processes {
		if _, err := w.ExecContext(ctx, `INSERT OR REPLACE INTO processes
			(target, program, grp, status, lag_seconds, checkpoint_age_seconds, observed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			t.Name, p.Program, p.Group, p.Status, p.LagSeconds, p.CheckpointAgeSeconds, at); err != nil {
			return fmt.Errorf("apply process %s: %w", p.Key(), err)
		}
	}
	return nil
}

// AdoptEpoch makes epoch this read model's epoch (a cluster's stream's),
// so hello and reset name the shared log. Only an empty read model can
// adopt another log: its seqs would mean other events.
func (s *Store) AdoptEpoch(ctx context.Context, epoch string) error {
	cur, err := s.ReadEpoch(ctx)
	if err != nil {
		return err
	}
	if cur == epoch {
		return nil
	}
	err = s.write(ctx, func(w *writeTx) error {
		head, err := headIn(ctx, w)
		if err != nil {
			return err
		}
		if head > 0 {
			return fmt.Errorf("%w: this database holds %d events of log %s, not of %s", ErrConflict, head, cur, epoch)
		}
		_, err = w.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('epoch', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, epoch)
		return err
	})
	if err != nil {
		return fmt.Errorf("adopt epoch %s: %w", epoch, err)
	}
	s.epoch.set(epoch)
	return nil
}

// SetCommitHook makes every write that records events pass them to hook
// before it commits (in seq order, under the store's write lock); an error
// from hook rolls the write back. Cluster mode appends them to the shared
// log there, so that what a node commits is what the log holds. Events
// applied from the log (ApplyEvent) do not pass through it. Set it before
// anything writes.
func (s *Store) SetCommitHook(hook func(ctx context.Context, events []Event) error) {
	s.mu.Lock()
	s.commitHook = hook
	s.mu.Unlock()
}

// beforeCommit runs the commit hook; the caller holds s.mu.
func (s *Store) beforeCommit(ctx context.Context, w *writeTx) error {
	if s.commitHook == nil || w.applied || len(w.events) == 0 {
		return nil
	}
	if err := s.commitHook(ctx, w.events); err != nil {
		return fmt.Errorf("append to the shared log: %w", err)
	}
	return nil
}

// Announce hands e, an event that is in no log (no seq: it cannot be
// resumed), to every subscription that is already delivering. Cluster mode
// tells a node's own screens this way that the node has lost its quorum,
// since it cannot append to the log; the caller repeats it while it holds,
// so that screens that connect later get it too.
func (s *Store) Announce(e Event) {
	e.Seq, e.Unpersisted = 0, true
	raw, err := json.Marshal(e) // no seq, "unpersisted": true
	if err != nil {
		return
	}
	e.raw = raw
	f := s.feed
	f.mu.Lock()
	subs := make([]*Subscription, 0, len(f.subs))
	for sub := range f.subs {
		subs = append(subs, sub)
	}
	f.mu.Unlock()
	for _, sub := range subs {
		_ = sub.offer(e) // one that cannot take it is dropped by the next event
	}
}
