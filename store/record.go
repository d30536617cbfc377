package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/syncmon/syncmon/monitor"
)

var _ monitor.Recorder = (*Store)(nil)

// Record stores one check of one target in a single transaction: the target's
// reachability, its process table and samples, and the alert transitions that
// follow from the findings, each with its event. Subscribers hear of the
// events only after commit.
func (s *Store) Record(ctx context.Context, obs monitor.Observation, findings []monitor.Finding) error {
	err := s.write(ctx, func(w *writeTx) error {
		changed, err := w.saveTarget(ctx, obs)
		if err != nil {
			return err
		}
		if changed {
			st := targetStateOf(obs)
			if err := w.appendEvent(ctx, Event{Type: TypeTargetStatus, Target: &st}); err != nil {
				return err
			}
		}
		active, err := w.activeAlerts(ctx, obs.Target)
		if err != nil {
			return err
		}
		for _, tr := range monitor.Reconcile(obs.Target, active, findings, w.now) {
			if err := w.applyTransition(ctx, tr, "syncmon"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record check %s: %w", obs.Target, err)
	}
	return nil
}

func targetStateOf(obs monitor.Observation) TargetState {
	st := TargetState{Name: obs.Target, Kind: obs.Kind, Reachable: obs.Err == nil, ObservedAt: obs.ObservedAt, Processes: obs.Processes}
	if obs.Err != nil {
		st.Error = obs.Err.Error()
	}
	if st.Processes == nil {
		st.Processes = []monitor.Process{}
	}
	return st
}

// saveTarget updates the target row and, when the check succeeded, its
// process table and samples. It reports whether reachability or the set of
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
		errText = obs.Err.Error()
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
			(target, program, grp, status, lag_seconds, checkpoint_age_seconds, observed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			obs.Target, p.Program, p.Group, p.Status, p.LagSeconds, p.CheckpointAgeSeconds, at); err != nil {
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
	return changed || !slices.Equal(prev, now), nil
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
