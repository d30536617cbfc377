package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

var _ monitor.Recorder = (*Store)(nil)

// Record stores one check of one target in a single transaction: the
// target's reachability, its process table and samples, the engine's memory,
// and the alert transitions that follow (monitor.Step), each with its event.
// Subscribers hear of the events only after commit.
func (s *Store) Record(ctx context.Context, t monitor.Target, obs monitor.Observation) error {
	err := s.step(ctx, t.Name, &obs, func(mem monitor.Memory, active []monitor.Alert, silences []monitor.Silence, now time.Time) (monitor.Memory, []monitor.Transition) {
		mem, trs := monitor.Step(t, mem, obs, active, silences, now)
		if len(obs.Log) > 0 {
			var more []monitor.Transition
			mem, more = monitor.StepLog(t, mem, obs.Log, afterTransitions(active, trs), silences, now)
			trs = append(trs, more...)
		}
		return mem, trs
	})
	if err != nil {
		return fmt.Errorf("record check %s: %w", obs.Target, err)
	}
	return nil
}

// RecordLog records ggserr.log entries of a target as they arrive.
func (s *Store) RecordLog(ctx context.Context, t monitor.Target, entries []monitor.LogEntry) error {
	err := s.step(ctx, t.Name, nil, func(mem monitor.Memory, active []monitor.Alert, silences []monitor.Silence, now time.Time) (monitor.Memory, []monitor.Transition) {
		return monitor.StepLog(t, mem, entries, active, silences, now)
	})
	if err != nil {
		return fmt.Errorf("record errlog %s: %w", t.Name, err)
	}
	return nil
}

// RecordSelf records SyncMon's own findings (rule syncmon, target syncmon,
// group = the component): the self-monitor's check, judged like any other.
func (s *Store) RecordSelf(ctx context.Context, findings []monitor.Finding) error {
	err := s.step(ctx, monitor.SelfTarget, nil, func(mem monitor.Memory, active []monitor.Alert, silences []monitor.Silence, now time.Time) (monitor.Memory, []monitor.Transition) {
		return mem, monitor.StepSelf(active, findings, silences, now)
	})
	if err != nil {
		return fmt.Errorf("record syncmon's own check: %w", err)
	}
	return nil
}

func (w *writeTx) engineInputs(ctx context.Context, target string) (monitor.Memory, []monitor.Alert, []monitor.Silence, error) {
	mem, err := w.memory(ctx, target)
	if err != nil {
		return mem, nil, nil, err
	}
	active, err := w.activeAlerts(ctx, target)
	if err != nil {
		return mem, nil, nil, err
	}
	silences, err := silencesInForce(ctx, w, w.now)
	if err != nil {
		return mem, nil, nil, err
	}
	return mem, active, silences, nil
}

func (w *writeTx) applyStep(ctx context.Context, target string, mem monitor.Memory, trs []monitor.Transition) error {
	if err := w.saveMemory(ctx, target, mem); err != nil {
		return err
	}
	for _, tr := range trs {
		if err := w.applyTransition(ctx, tr, "syncmon"); err != nil {
			return err
		}
	}
	return nil
}

// afterTransitions is the active alert list once trs are applied (new
// alerts have no id yet; StepLog only needs the ogg_error ones by key).
func afterTransitions(active []monitor.Alert, trs []monitor.Transition) []monitor.Alert {
	byKey := map[monitor.FindingKey]monitor.Alert{}
	for _, a := range active {
		byKey[a.Key()] = a
	}
	for _, tr := range trs {
		if tr.Alert.Active() {
			byKey[tr.Alert.Key()] = tr.Alert
		} else {
			delete(byKey, tr.Alert.Key())
		}
	}
	out := make([]monitor.Alert, 0, len(byKey))
	for _, a := range byKey {
		out = append(out, a)
	}
	return out
}

func (w *writeTx) memory(ctx context.Context, target string) (monitor.Memory, error) {
	var (
		mem  monitor.Memory
		body string
	)
	err := w.QueryRowContext(ctx, `SELECT body FROM target_memory WHERE target = ?`, target).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return mem, nil
	}
	if err != nil {
		return mem, fmt.Errorf("read memory of %s: %w", target, err)
	}
	if err := json.Unmarshal([]byte(body), &mem); err != nil {
		// A memory we cannot read costs hysteresis history, never the check.
		return monitor.Memory{}, nil
	}
	return mem, nil
}

func (w *writeTx) saveMemory(ctx context.Context, target string, mem monitor.Memory) error {
	body, err := json.Marshal(mem)
	if err != nil {
		return fmt.Errorf("encode memory of %s: %w", target, err)
	}
	if _, err := w.ExecContext(ctx, `INSERT INTO target_memory (target, body, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (target) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
		target, string(body), formatTime(w.now)); err != nil {
		return fmt.Errorf("save memory of %s: %w", target, err)
	}
	return nil
}

func targetStateOf(obs monitor.Observation) TargetState {
	st := TargetState{Name: obs.Target, Kind: obs.Kind, Reachable: obs.Err == nil, ObservedAt: obs.ObservedAt, Processes: obs.Processes, Depth: DepthOf(obs)}
	if obs.Err != nil {
		st.Error = monitor.ErrorClass(obs.Err) // never the collector's own text (issue 12)
	}
	if st.Processes == nil {
		st.Processes = []monitor.Process{}
	}
	return st
}

// saveTarget updates the target row and, when the check succeeded, its
// process table, depth document (store/depth.go) and samples. It reports whether reachability or the set of
// process statuses changed (worth a target.status event).
func (w *writeTx) saveTarget(ctx context.Context, obs monitor.Observation) (bool, error) {
	var prevReachable sql.NullBool
	err := w.QueryRowContext(ctx, `SELECT reachable FROM targets WHERE name = ?`, obs.Target).Scan(&prevReachable)
	if err != nil && err != sql.ErrNoRows {
		return false, fmt.Errorf("read target: %w", err)
	}
	reachable := obs.Err == nil
	errText := ""
	if obs.Err != nil {
		errText = monitor.ErrorClass(obs.Err)
	}
	at := formatTime(obs.ObservedAt)
	if _, err := w.ExecContext(ctx, `INSERT INTO targets (name, kind, reachable, error, observed_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, reachable = excluded.reachable,
		error = excluded.error, observed_at = excluded.observed_at`, obs.Target, obs.Kind, reachable, errText, at); err != nil {
		return false, fmt.Errorf("save target: %w", err)
	}
	changed := !prevReachable.Valid || prevReachable.Bool != reachable
	if !reachable {
		return changed, nil
	}
	prev, err := w.processStatuses(ctx, obs.Target)
	if err != nil {
		return false, err
	}
	if _, err := w.ExecContext(ctx, `DELETE FROM processes WHERE target = ?`, obs.Target); err != nil {
		return false, fmt.Errorf("save processes: %w", err)
	}
	var now []string
	for _, p := range obs.Processes {
		if _, err := w.ExecContext(ctx, `INSERT OR REPLACE INTO processes
			(target, program, grp, status, lag_seconds, checkpoint_age_seconds, observed_at, deployment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			obs.Target, p.Program, p.Group, p.Status, p.LagSeconds, p.CheckpointAgeSeconds, at, p.Deployment); err != nil {
			return false, fmt.Errorf("save process %s: %w", p.Key(), err)
		}
		if _, err := w.ExecContext(ctx, `INSERT INTO samples
			(target, program, grp, at, status, lag_seconds, checkpoint_age_seconds) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			obs.Target, p.Program, p.Group, at, p.Status, p.LagSeconds, p.CheckpointAgeSeconds); err != nil {
			return false, fmt.Errorf("save sample %s: %w", p.Key(), err)
		}
		now = append(now, p.Key()+"="+p.Status)
	}
	slices.Sort(now)
	// Services and paths changing status are process-table news too.
	prevDepth, nowDepth, err := w.saveDepth(ctx, obs, at)
	if err != nil {
		return false, err
	}
	return changed || !slices.Equal(prev, now) || !slices.Equal(prevDepth, nowDepth), nil
}

func (w *writeTx) processStatuses(ctx context.Context, target string) ([]string, error) {
	rows, err := w.QueryContext(ctx, `SELECT program, grp, status FROM processes WHERE target = ?`, target)
	if err != nil {
		return nil, fmt.Errorf("read processes: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p monitor.Process
		if err := rows.Scan(&p.Program, &p.Group, &p.Status); err != nil {
			return nil, fmt.Errorf("read processes: %w", err)
		}
		out = append(out, p.Key()+"="+p.Status)
	}
	slices.Sort(out)
	return out, rows.Err()
}
