package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/syncmon/syncmon/monitor"
)

// Depth is what a target reports beyond its processes: a Service Manager
// target's services and paths, heartbeat-table lag and open transactions.
// Each list is present (possibly empty) when its source was asked, and
// absent otherwise, as in `check --once --json`.
type Depth struct {
	Services     *[]monitor.Service     `json:"services,omitempty"`
	Paths        *[]monitor.Path        `json:"paths,omitempty"`
	Heartbeats   *[]monitor.Heartbeat   `json:"heartbeats,omitempty"`
	Transactions *[]monitor.Transaction `json:"transactions,omitempty"`
}

// DepthOf returns what obs saw beyond its processes.
func DepthOf(obs monitor.Observation) Depth {
	return Depth{Services: asked(obs.Services), Paths: asked(obs.Paths), Heartbeats: asked(obs.Heartbeats), Transactions: asked(obs.Transactions)}
}

func asked[T any](s []T) *[]T {
	if s == nil {
		return nil
	}
	return &s
}

func (d Depth) empty() bool {
	return d.Services == nil && d.Paths == nil && d.Heartbeats == nil && d.Transactions == nil
}

// Samples of the deeper sources: a path's lag and time since lag under
// DISTPATH/RECVPATH and the path's name, a heartbeat's lag and age (whole
// seconds) under monitor.ProgramHeartbeat and HeartbeatName.

// saveDepth replaces the target's depth document and samples its paths and
// heartbeats. It returns the paths' and services' statuses, for the
// target.status decision, before and after.
func (w *writeTx) saveDepth(ctx context.Context, obs monitor.Observation, at string) (prev, now []string, err error) {
	old, err := readDepth(ctx, w.Tx, obs.Target)
	if err != nil {
		return nil, nil, err
	}
	prev = depthStatuses(old)
	d := DepthOf(obs)
	now = depthStatuses(d)
	if d.empty() {
		if _, err := w.ExecContext(ctx, `DELETE FROM target_depth WHERE target = ?`, obs.Target); err != nil {
			return nil, nil, fmt.Errorf("save depth: %w", err)
		}
		return prev, now, nil
	}
	body, err := json.Marshal(d)
	if err != nil {
		return nil, nil, fmt.Errorf("save depth: %w", err)
	}
	if _, err := w.ExecContext(ctx, `INSERT INTO target_depth (target, body, observed_at) VALUES (?, ?, ?)
		ON CONFLICT (target) DO UPDATE SET body = excluded.body, observed_at = excluded.observed_at`,
		obs.Target, string(body), at); err != nil {
		return nil, nil, fmt.Errorf("save depth: %w", err)
	}
	sample := func(program, group, status string, lag, age *int64) error {
		if _, err := w.ExecContext(ctx, `INSERT INTO samples
			(target, program, grp, at, status, lag_seconds, checkpoint_age_seconds) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			obs.Target, program, group, at, status, lag, age); err != nil {
			return fmt.Errorf("save sample %s %s: %w", program, group, err)
		}
		return nil
	}
	for _, p := range obs.Paths {
		program := monitor.ProgramDistPath
		if p.Kind == monitor.PathReceiver {
			program = monitor.ProgramRecvPath
		}
		if err := sample(program, p.Name, p.Status, p.LagSeconds, p.CheckpointAgeSeconds); err != nil {
			return nil, nil, err
		}
	}
	for _, h := range obs.Heartbeats {
		lag, age := wholeSeconds(h.LagSeconds), wholeSeconds(h.AgeSeconds)
		if err := sample(monitor.ProgramHeartbeat, HeartbeatName(h), h.Direction, &lag, &age); err != nil {
			return nil, nil, err
		}
	}
	return prev, now, nil
}

// HeartbeatName is how a heartbeat is named in samples and charts: its
// path, or "from → to" when it has none.
func HeartbeatName(h monitor.Heartbeat) string {
	if h.Path != "" {
		return h.Path
	}
	return h.From + " → " + h.To
}

func wholeSeconds(f float64) int64 {
	if math.IsNaN(f) || f < 0 {
		return 0
	}
	if f > math.MaxInt32 {
		return math.MaxInt32
	}
	return int64(math.Round(f))
}

func depthStatuses(d Depth) []string {
	var out []string
	if d.Services != nil {
		for _, s := range *d.Services {
			out = append(out, "service "+s.Deployment+" "+s.Name+"="+s.Status)
		}
	}
	if d.Paths != nil {
		for _, p := range *d.Paths {
			out = append(out, "path "+p.Deployment+" "+p.Kind+" "+p.Name+"="+p.Status)
		}
	}
	slices.Sort(out)
	return out
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readDepth(ctx context.Context, q queryer, target string) (Depth, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM target_depth WHERE target = ?`, target).Scan(&body)
	if err == sql.ErrNoRows {
		return Depth{}, nil
	}
	if err != nil {
		return Depth{}, fmt.Errorf("read depth of %s: %w", target, err)
	}
	var d Depth
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return Depth{}, fmt.Errorf("read depth of %s: %w", target, err)
	}
	return d, nil
}

// allDepths reads every target's depth document.
func allDepths(ctx context.Context, q queryer) (map[string]Depth, error) {
	rows, err := q.QueryContext(ctx, `SELECT target, body FROM target_depth`)
	if err != nil {
		return nil, fmt.Errorf("read depth: %w", err)
	}
	defer rows.Close()
	out := map[string]Depth{}
	for rows.Next() {
		var target, body string
		if err := rows.Scan(&target, &body); err != nil {
			return nil, fmt.Errorf("read depth: %w", err)
		}
		var d Depth
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			return nil, fmt.Errorf("read depth of %s: %w", target, err)
		}
		out[target] = d
	}
	return out, rows.Err()
}
