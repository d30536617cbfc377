package store

import (
	"context"
	"fmt"
	"time"
)

// Samples are kept in three tiers, so that their size is bounded whatever
// the age: raw (every check) for rawSampleKeep, then one row a minute per
// process until minuteSampleKeep, then one row per fifteen minutes until
// Retention.Samples. A bucket keeps the highest lag, checkpoint age and
// status (as the chart query does). Charts read all tiers (Samples): an hour
// from raw rows, a week mostly from 15-minute buckets.
//
// Rolling up is part of Prune, in batches of rollupBatch rows, each in its
// own short transaction: the rows leave one tier and reach the next in the
// same transaction, so a chart never sees them twice or not at all.
const (
	rawSampleKeep    = 2 * time.Hour
	minuteSampleKeep = 24 * time.Hour
	rollupBatch      = 2000
)

// The SQL of the tiers, in one place.
const (
	// The oldest raw rows, if old enough: ?1 the cutoff, ?2 the batch.
	oldRawSamples = `SELECT id FROM (SELECT id, at FROM samples ORDER BY id LIMIT ?2) WHERE at < ?1`
	rollupRaw     = `INSERT INTO sample_buckets (target, program, grp, start, width, status, lag_seconds, checkpoint_age_seconds)
		SELECT target, program, grp, CAST(strftime('%s', at) AS INTEGER) / 60 * 60, 60, MAX(status), MAX(lag_seconds), MAX(checkpoint_age_seconds)
		FROM samples WHERE id IN (` + oldRawSamples + `) GROUP BY 1, 2, 3, 4` + mergeBucket
	deleteRaw = `DELETE FROM samples WHERE id IN (` + oldRawSamples + `)`

	// The oldest minute buckets, if old enough: ?1 the cutoff (Unix s), ?2 the batch.
	oldMinuteBuckets = `SELECT target, program, grp, start FROM sample_buckets WHERE width = 60 AND start < ?1 ORDER BY width, start LIMIT ?2`
	rollupMinutes    = `INSERT INTO sample_buckets (target, program, grp, start, width, status, lag_seconds, checkpoint_age_seconds)
		SELECT target, program, grp, start / 900 * 900, 900, MAX(status), MAX(lag_seconds), MAX(checkpoint_age_seconds)
		FROM sample_buckets WHERE width = 60 AND (target, program, grp, start) IN (` + oldMinuteBuckets + `) GROUP BY 1, 2, 3, 4` + mergeBucket
	deleteMinutes = `DELETE FROM sample_buckets WHERE width = 60 AND (target, program, grp, start) IN (` + oldMinuteBuckets + `)`

	// A bucket split across two batches is merged: the highest of each.
	mergeBucket = ` ON CONFLICT (target, program, grp, start, width) DO UPDATE SET
		status = MAX(status, excluded.status),
		lag_seconds = MAX(COALESCE(lag_seconds, excluded.lag_seconds), COALESCE(excluded.lag_seconds, lag_seconds)),
		checkpoint_age_seconds = MAX(COALESCE(checkpoint_age_seconds, excluded.checkpoint_age_seconds), COALESCE(excluded.checkpoint_age_seconds, checkpoint_age_seconds))`

	// Buckets past the retention: ?1 the cutoff (Unix s), ?2 the batch.
	pruneBuckets = `DELETE FROM sample_buckets WHERE (target, program, grp, start, width) IN (
		SELECT target, program, grp, start, width FROM sample_buckets WHERE width = 900 AND start < ?1 ORDER BY width, start LIMIT ?2)`
)

// rollUp moves samples down the tiers, and drops buckets older than keep
// (none when keep is 0). It reports the raw rows and buckets it removed.
func (s *Store) rollUp(ctx context.Context, keep time.Duration) (int64, error) {
	now := s.now()
	steps := []struct {
		what           string
		rollup, delete string
		cutoff         any
	}{
		{"raw samples", rollupRaw, deleteRaw, formatTime(now.Add(-rawSampleKeep))},
		{"minute samples", rollupMinutes, deleteMinutes, now.Add(-minuteSampleKeep).Unix()},
	}
	var total int64
	for _, st := range steps {
		for {
			n, err := s.rollupBatch(ctx, st.rollup, st.delete, st.cutoff)
			if err != nil {
				return total, fmt.Errorf("roll up %s: %w", st.what, err)
			}
			total += n
			if n < rollupBatch {
				break
			}
		}
	}
	if keep <= 0 {
		return total, nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		s.mu.Lock()
		res, err := s.db.ExecContext(ctx, pruneBuckets, now.Add(-keep).Unix(), rollupBatch)
		s.mu.Unlock()
		if err != nil {
			return total, fmt.Errorf("prune sample buckets: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < rollupBatch {
			return total, nil
		}
	}
}

// rollupBatch runs one batch: the rows into the next tier, then out of theirs.
func (s *Store) rollupBatch(ctx context.Context, rollup, del string, cutoff any) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, rollup, cutoff, rollupBatch); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, del, cutoff, rollupBatch)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, tx.Commit()
}
