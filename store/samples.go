package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Sample is one observed lag and checkpoint age of a process.
type Sample struct {
	At                   time.Time
	Status               string
	LagSeconds           *int64
	CheckpointAgeSeconds *int64
}

// Series is the samples of one process, oldest first.
type Series struct {
	Program string
	Group   string
	Samples []Sample
}

// maxSamplesPerSeries bounds a chart: longer ranges are thinned evenly.
const maxSamplesPerSeries = 600

// samplesQuery reads a target's samples of every tier (downsample.go) since
// a time (?2 as text, ?3 as Unix seconds) in slots of ?4 seconds, keeping
// each slot's highest values, timed to the second. A bucket counts at its
// start.
const samplesQuery = `SELECT program, grp, MAX(t), MAX(status), MAX(lag_seconds), MAX(checkpoint_age_seconds) FROM (
		SELECT program, grp, CAST(strftime('%s', at) AS INTEGER) AS t, status, lag_seconds, checkpoint_age_seconds
		FROM samples WHERE target = ?1 AND at >= ?2
		UNION ALL
		SELECT program, grp, start, status, lag_seconds, checkpoint_age_seconds
		FROM sample_buckets WHERE target = ?1 AND start >= ?3)
	GROUP BY program, grp, t / ?4
	ORDER BY program, grp, MAX(t)`

// Samples returns each process's samples of target since the given time,
// at most maxSamplesPerSeries a process: SQLite buckets longer ranges into
// time slots, keeping each slot's highest lag and checkpoint age, so that a
// 7-day chart of a busy deployment costs hundreds of rows, not millions.
func (s *Store) Samples(ctx context.Context, target string, since time.Time) ([]Series, error) {
	slot := int64(s.now().Sub(since).Seconds()) / maxSamplesPerSeries
	if slot < 1 {
		slot = 1
	}
	rows, err := s.rdb.QueryContext(ctx, samplesQuery, target, formatTime(since), since.Unix(), slot)
	if err != nil {
		return nil, fmt.Errorf("samples of %s: %w", target, err)
	}
	defer rows.Close()
	var out []Series
	for rows.Next() {
		var (
			program, group, status string
			at                     int64
			lag, age               sql.NullInt64
		)
		if err := rows.Scan(&program, &group, &at, &status, &lag, &age); err != nil {
			return nil, fmt.Errorf("samples of %s: %w", target, err)
		}
		if n := len(out); n == 0 || out[n-1].Program != program || out[n-1].Group != group {
			out = append(out, Series{Program: program, Group: group})
		}
		smp := Sample{At: time.Unix(at, 0).UTC(), Status: status}
		if lag.Valid {
			v := lag.Int64
			smp.LagSeconds = &v
		}
		if age.Valid {
			v := age.Int64
			smp.CheckpointAgeSeconds = &v
		}
		out[len(out)-1].Samples = append(out[len(out)-1].Samples, smp)
	}
	for i := range out {
		out[i].Samples = thin(out[i].Samples, maxSamplesPerSeries)
	}
	return out, rows.Err()
}

// thin keeps at most n samples, evenly spaced, always keeping the last one,
// and keeping the highest lag of each span so that a spike is not lost.
func thin(in []Sample, n int) []Sample {
	if len(in) <= n {
		return in
	}
	out := make([]Sample, 0, n)
	step := float64(len(in)) / float64(n)
	for i := 0; i < n; i++ {
		lo, hi := int(float64(i)*step), int(float64(i+1)*step)
		if hi > len(in) {
			hi = len(in)
		}
		best := in[lo]
		for _, smp := range in[lo:hi] {
			if smp.LagSeconds != nil && (best.LagSeconds == nil || *smp.LagSeconds > *best.LagSeconds) {
				best = smp
			}
		}
		out = append(out, best)
	}
	out[len(out)-1] = in[len(in)-1]
	return out
}
