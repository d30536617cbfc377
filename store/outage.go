package store

// This file is what the store does while it cannot write (disk full, the
// file read-only, an I/O error, locked past the busy timeout): checks are
// still judged, in memory, from the state last committed plus what was
// judged since, and their events reach screens marked unpersisted (no seq:
// they cannot be resumed). The transitions wait in memory; the next write
// of the same target that commits replays them first, with their real
// times, in the same transaction as the new check, so nothing is lost,
// nothing is judged twice, and no seq is reused (seqs are only ever given
// by SQLite, on commit).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/syncmon/syncmon/monitor"
)

// outage holds the engine's memory of every target judged while writes
// failed, and the store's write health. Guarded by Store.mu (every write,
// and the in-memory steps, run under it); health by its own lock so that
// readers never wait for a write.
type outage struct {
	targets map[string]*overlay
	tempID  int64 // the last temporary (negative) id given to an alert opened in memory

	mu     sync.Mutex
	err    error     // the last write failure; nil once a write commits
	since  time.Time // when writes began to fail
	last   error     // the newest write failure, kept after writes succeed
	lastAt time.Time
}

// overlay is one target's state judged in memory, on top of the database.
type overlay struct {
	mem     monitor.Memory
	active  []monitor.Alert      // as the screens know them (temporary ids for new ones)
	pending []monitor.Transition // to replay, in order, once writes succeed
	status  string               // the last target.status sent, to send changes only
}

// WriteFailure returns the newest write failure and when it happened (nil
// when no write failed since Open). On a nearly full disk some writes
// still succeed (SQLite reuses its WAL file's space), so a caller judging
// health looks at how recent the newest failure is, not only at the last write.
func (s *Store) WriteFailure() (error, time.Time) {
	s.outage.mu.Lock()
	defer s.outage.mu.Unlock()
	return s.outage.last, s.outage.lastAt
}

// noteWrite records the outcome of a write attempt: a storage fault starts
// (or continues) an outage, a commit ends it. Other errors (not found,
// invalid input) say nothing about the disk.
func (s *Store) noteWrite(err error) {
	if err != nil && !storageFault(err) {
		return
	}
	s.outage.mu.Lock()
	defer s.outage.mu.Unlock()
	if err == nil {
		s.outage.err = nil
		return
	}
	if s.outage.err == nil {
		s.outage.since = time.Now()
	}
	s.outage.err, s.outage.last, s.outage.lastAt = err, err, time.Now()
}

// storageFault reports whether err is the database failing to write, as
// opposed to the input or the caller (a cancelled context).
func storageFault(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code {
	case sqlite3.ErrFull, sqlite3.ErrReadonly, sqlite3.ErrIoErr, sqlite3.ErrBusy, sqlite3.ErrLocked,
		sqlite3.ErrCantOpen, sqlite3.ErrCorrupt, sqlite3.ErrNotADB, sqlite3.ErrPerm, sqlite3.ErrProtocol, sqlite3.ErrNoLFS:
		return true
	}
	return false
}

// judge is one engine step of a target: the memory to keep and the
// transitions, from the current memory, active alerts and silences.
type judge func(mem monitor.Memory, active []monitor.Alert, silences []monitor.Silence, now time.Time) (monitor.Memory, []monitor.Transition)

// step records one judgement of target: in one transaction (replaying first
// what was judged in memory during an outage), or, when the database cannot
// write, in memory with unpersisted events. obs, when set, is the check's
// observation (target row, processes, samples, target.status).
func (s *Store) step(ctx context.Context, target string, obs *monitor.Observation, fn judge) error {
	var inMemory bool
	err := s.writeOr(ctx, func(w *writeTx) error {
		if err := w.replay(ctx, target, s.outage.targets[target]); err != nil {
			return err
		}
		if obs != nil {
			changed, err := w.saveTarget(ctx, *obs)
			if err != nil {
				return err
			}
			if changed {
				st := targetStateOf(*obs)
				if err := w.appendEvent(ctx, Event{Type: TypeTargetStatus, Target: &st}); err != nil {
					return err
				}
			}
		}
		mem, active, silences, err := w.engineInputs(ctx, target)
		if err != nil {
			return err
		}
		mem, trs := fn(mem, active, silences, w.now)
		if err := w.applyStep(ctx, target, mem, trs); err != nil {
			return err
		}
		w.onCommit = func() { delete(s.outage.targets, target) }
		return nil
	}, func(now time.Time) {
		inMemory = true
		s.stepInMemory(ctx, target, obs, fn, now)
	})
	if err != nil && inMemory {
		return fmt.Errorf("%w: %w", monitor.ErrUnpersisted, err)
	}
	return err
}

// stepInMemory judges target on its overlay (made from the database's last
// committed state on the outage's first step) and hands the events to the
// feed, unpersisted. Called under s.mu.
func (s *Store) stepInMemory(ctx context.Context, target string, obs *monitor.Observation, fn judge, now time.Time) {
	ov := s.outage.targets[target]
	if ov == nil {
		ov = s.baseOverlay(ctx, target)
		if s.outage.targets == nil {
			s.outage.targets = map[string]*overlay{}
		}
		s.outage.targets[target] = ov
	}
	var events []Event
	if obs != nil {
		st := targetStateOf(*obs)
		if sig := statusSignature(st); sig != ov.status {
			ov.status = sig
			events = append(events, Event{Type: TypeTargetStatus, At: now, Target: &st, Unpersisted: true})
		}
	}
	silences := s.silencesNow(ctx, now)
	mem, trs := fn(ov.mem, slices.Clone(ov.active), silences, now)
	ov.mem = mem
	for _, tr := range trs {
		if tr.Type == monitor.AlertOpened {
			s.outage.tempID--
			tr.Alert.ID = s.outage.tempID
		}
		ov.pending = append(ov.pending, tr)
		ov.active = slices.DeleteFunc(ov.active, func(a monitor.Alert) bool { return a.ID == tr.Alert.ID })
		if tr.Alert.Active() {
			ov.active = append(ov.active, tr.Alert)
		}
		a := tr.Alert
		events = append(events, Event{Type: tr.Type, At: now, Alert: &a, Unpersisted: true})
	}
	if len(events) > 0 {
		s.feed.enqueue(events)
	}
}

// baseOverlay reads target's committed memory and active alerts through the
// read pool (reads work on a full or read-only disk); when even that fails,
// the engine starts from nothing, which can only open alerts twice, never
// miss one.
func (s *Store) baseOverlay(ctx context.Context, target string) *overlay {
	ov := &overlay{}
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return ov
	}
	defer tx.Rollback()
	w := &writeTx{Tx: tx}
	if mem, err := w.memory(ctx, target); err == nil {
		ov.mem = mem
	}
	if active, err := w.activeAlerts(ctx, target); err == nil {
		ov.active = active
	}
	return ov
}

func (s *Store) silencesNow(ctx context.Context, now time.Time) []monitor.Silence {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil
	}
	defer tx.Rollback()
	out, _ := silencesInForce(ctx, tx, now)
	return out
}

// replay records what was judged in memory during an outage, in order, each
// transition at its own time: alerts opened then get their real ids and
// opening times, and every screen the normal events (with seqs).
func (w *writeTx) replay(ctx context.Context, target string, ov *overlay) error {
	if ov == nil {
		return nil
	}
	if err := w.saveMemory(ctx, target, ov.mem); err != nil {
		return err
	}
	now := w.now
	defer func() { w.now = now }()
	ids := map[int64]int64{} // temporary id → real
	for _, tr := range ov.pending {
		temp := tr.Alert.ID
		if real, ok := ids[temp]; ok {
			tr.Alert.ID = real
		}
		if tr.Type == monitor.AlertOpened {
			tr.Alert.ID = 0
		}
		if !tr.Alert.UpdatedAt.IsZero() {
			w.now = tr.Alert.UpdatedAt.UTC()
		}
		id, err := w.applyTransitionID(ctx, tr, "syncmon")
		if err != nil {
			return fmt.Errorf("replay %s of %s: %w", tr.Type, tr.Alert.Key(), err)
		}
		if temp < 0 {
			ids[temp] = id
		}
	}
	return nil
}

// statusSignature is what a target.status event says, less its time.
func statusSignature(st TargetState) string {
	st.ObservedAt = time.Time{}
	return string(Event{Target: &st}.JSON())
}
