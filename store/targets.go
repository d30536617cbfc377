package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/syncmon/syncmon/monitor"
)

// State is the snapshot a screen starts from: targets with their processes,
// the active alerts, and the head of the event log they are current to.
type State struct {
	Head    int64           `json:"head"`
	Targets []TargetState   `json:"targets"`
	Alerts  []monitor.Alert `json:"alerts"`
}

// State reads the current snapshot. Head is read first, so a client that
// subscribes with since=Head misses nothing (it may see an event twice in
// effect, never zero times).
func (s *Store) State(ctx context.Context) (State, error) {
	st := State{Head: s.Head()}
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("read state: %w", err)
	}
	defer tx.Rollback()
	if st.Targets, err = targets(ctx, tx); err != nil {
		return st, err
	}
	if st.Alerts, err = queryAlerts(ctx, tx, `WHERE state IN ('open', 'acked') ORDER BY id DESC LIMIT 1000`); err != nil {
		return st, err
	}
	return st, nil
}

// Partial is the part of the state a screen's fragment is drawn from:
// the named targets, every active alert and how many targets there are.
type Partial struct {
	Head    int64
	Count   int // targets in the fleet
	Targets []TargetState
	Alerts  []monitor.Alert
}

// PartialState reads the named targets (those that exist, in name order)
// and the active alerts, without reading the rest of the fleet, so what a
// screen's fragment costs does not grow with the fleet. Head is read first,
// as in State.
//
// With problems, it also reads every target that may be one: unreachable,
// or named by an active alert. What that costs grows with what is wrong,
// not with the fleet.
func (s *Store) PartialState(ctx context.Context, names []string, problems bool) (Partial, error) {
	p := Partial{Head: s.Head()}
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return p, fmt.Errorf("read partial state: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM targets`).Scan(&p.Count); err != nil {
		return p, fmt.Errorf("count targets: %w", err)
	}
	if p.Alerts, err = queryAlerts(ctx, tx, `WHERE state IN ('open', 'acked') ORDER BY id DESC LIMIT 1000`); err != nil {
		return p, err
	}
	if problems {
		names = slices.Clone(names)
		for _, a := range p.Alerts {
			names = append(names, a.Target)
		}
		rows, err := tx.QueryContext(ctx, `SELECT name FROM targets WHERE NOT reachable`)
		if err != nil {
			return p, fmt.Errorf("read unreachable targets: %w", err)
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return p, fmt.Errorf("read unreachable targets: %w", err)
			}
			names = append(names, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return p, fmt.Errorf("read unreachable targets: %w", err)
		}
		slices.Sort(names)
		names = slices.Compact(names)
	}
	if p.Targets, err = targetsNamed(ctx, tx, names); err != nil {
		return p, err
	}
	return p, nil
}

func targets(ctx context.Context, tx *sql.Tx) ([]TargetState, error) {
	return readTargets(ctx, tx, "", nil)
}

// targetsNamed reads the named targets only; none for no names.
func targetsNamed(ctx context.Context, tx *sql.Tx, names []string) ([]TargetState, error) {
	if len(names) == 0 {
		return []TargetState{}, nil
	}
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	return readTargets(ctx, tx, "IN (?"+strings.Repeat(", ?", len(names)-1)+")", args)
}

// readTargets reads the targets whose name is in the set "in" (a SQL
// "IN (…)" with args) or, when in is "", every target.
func readTargets(ctx context.Context, tx *sql.Tx, in string, args []any) ([]TargetState, error) {
	where := ""
	if in != "" {
		where = "WHERE name " + in
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, kind, reachable, error, observed_at FROM targets `+where+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("read targets: %w", err)
	}
	out := []TargetState{}
	index := map[string]int{}
	for rows.Next() {
		var (
			t  TargetState
			at string
		)
		if err := rows.Scan(&t.Name, &t.Kind, &t.Reachable, &t.Error, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read targets: %w", err)
		}
		t.ObservedAt = parseTime(at)
		t.Processes = []monitor.Process{}
		index[t.Name] = len(out)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read targets: %w", err)
	}
	if in == "" {
		depths, err := allDepths(ctx, tx)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i].Depth = depths[out[i].Name]
		}
	} else {
		for i := range out {
			if out[i].Depth, err = readDepth(ctx, tx, out[i].Name); err != nil {
				return nil, err
			}
		}
	}
	pwhere := ""
	if in != "" {
		pwhere = "WHERE target " + in
	}
	prows, err := tx.QueryContext(ctx, `SELECT target, program, grp, status, lag_seconds, checkpoint_age_seconds, deployment
		FROM processes `+pwhere+` ORDER BY target, CASE program WHEN 'MANAGER' THEN 0 ELSE 1 END, program, grp`, args...)
	if err != nil {
		return nil, fmt.Errorf("read processes: %w", err)
	}
	defer prows.Close()
	for prows.Next() {
		var (
			target   string
			p        monitor.Process
			lag, age sql.NullInt64
		)
		if err := prows.Scan(&target, &p.Program, &p.Group, &p.Status, &lag, &age, &p.Deployment); err != nil {
			return nil, fmt.Errorf("read processes: %w", err)
		}
		if lag.Valid {
			p.LagSeconds = &lag.Int64
		}
		if age.Valid {
			p.CheckpointAgeSeconds = &age.Int64
		}
		if i, ok := index[target]; ok {
			out[i].Processes = append(out[i].Processes, p)
		}
	}
	return out, prows.Err()
}

// SyncTargets removes targets (and their processes) that are no longer
// configured, so the dashboard shows what is watched.
func (s *Store) SyncTargets(ctx context.Context, names []string) error {
	return s.write(ctx, func(w *writeTx) error {
		rows, err := w.QueryContext(ctx, `SELECT name FROM targets`)
		if err != nil {
			return fmt.Errorf("sync targets: %w", err)
		}
		keep := map[string]bool{}
		for _, n := range names {
			keep[n] = true
		}
		var gone []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return fmt.Errorf("sync targets: %w", err)
			}
			if !keep[n] {
				gone = append(gone, n)
			}
		}
		rows.Close()
		for _, n := range gone {
			if _, err := w.ExecContext(ctx, `DELETE FROM targets WHERE name = ?`, n); err != nil {
				return fmt.Errorf("sync targets: remove %s: %w", n, err)
			}
		}
		return nil
	})
}

// LoadOffset returns where a followed ggserr.log was read up to (zero when never).
func (s *Store) LoadOffset(ctx context.Context, path string) (off monitor.ErrLogOffset, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT offset, inode, size FROM errlog_offsets WHERE path = ?`, path).
		Scan(&off.Offset, &off.Inode, &off.Size)
	if err == sql.ErrNoRows {
		return monitor.ErrLogOffset{}, nil
	}
	if err != nil {
		return off, fmt.Errorf("load errlog offset %s: %w", path, err)
	}
	return off, nil
}

var _ monitor.OffsetStore = (*Store)(nil)

// SaveOffset records where a followed ggserr.log was read up to.
func (s *Store) SaveOffset(ctx context.Context, path string, off monitor.ErrLogOffset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO errlog_offsets (path, offset, inode, size, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET offset = excluded.offset, inode = excluded.inode, size = excluded.size,
		updated_at = excluded.updated_at`, path, off.Offset, off.Inode, off.Size, s.stamp()); err != nil {
		return fmt.Errorf("save errlog offset %s: %w", path, err)
	}
	return nil
}
