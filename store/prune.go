package store

import (
	"context"
	"fmt"
	"time"
)

// Retention is how long each kind of history is kept.
type Retention struct {
	Events         time.Duration
	Samples        time.Duration
	ResolvedAlerts time.Duration
	// Superseded: how long a target.status event a later one supersedes
	// keeps its process table (compact.go); 0: DefaultSuperseded.
	Superseded time.Duration
	// MaxEvents caps the event log's length; 0: DefaultMaxEvents.
	MaxEvents int64
}

// pruneBatch bounds the rows one prune transaction deletes, so the writer
// (and with it every check and ack) never waits long behind a prune.
const pruneBatch = 500

// Prune deletes history older than r, in small batches, and reports how many
// rows went; samples are first rolled up into coarser buckets (downsample.go). The event log keeps its seq: AUTOINCREMENT never reuses one.
func (s *Store) Prune(ctx context.Context, r Retention) (int64, error) {
	now := s.now()
	rolled, err := s.rollUp(ctx, r.Samples) // downsample.go
	if err != nil {
		return rolled, err
	}
	jobs := []struct {
		what  string
		keep  time.Duration
		query string
	}{
		// Events are appended in time order: the oldest batch by seq (the
		// primary key) is all that needs looking at, never the whole log.
		{"events", r.Events, `DELETE FROM events WHERE seq IN (SELECT seq FROM (SELECT seq, at FROM events ORDER BY seq LIMIT ?2) WHERE at < ?1)`},
		{"samples", r.Samples, `DELETE FROM samples WHERE id IN (SELECT id FROM (SELECT id, at FROM samples ORDER BY id LIMIT ?2) WHERE at < ?1)`},
		{"resolved alerts", r.ResolvedAlerts, `DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE state = 'resolved' AND resolved_at < ? ORDER BY id LIMIT ?)`},
		// Notifications: failures as long as the log they point into; what a
		// channel knew of an alert once the alert is gone or long resolved.
		{"notification failures", r.Events, `DELETE FROM notify_deliveries WHERE rowid IN (SELECT rowid FROM notify_deliveries WHERE gave_up_at < ? LIMIT ?)`},
		{"notification alert state", r.Events, `DELETE FROM notify_alerts WHERE rowid IN (SELECT n.rowid FROM notify_alerts n
			LEFT JOIN alerts a ON a.id = n.alert_id WHERE a.id IS NULL OR (a.state = 'resolved' AND a.resolved_at < ?) LIMIT ?)`},
	}
	total := rolled
	if r.Superseded <= 0 {
		r.Superseded = DefaultSuperseded
	}
	if r.MaxEvents <= 0 {
		r.MaxEvents = DefaultMaxEvents
	}
	// Compacted rows are rewritten, not deleted: not counted in the total.
	if _, err := s.compactStatus(ctx, formatTime(now.Add(-r.Superseded))); err != nil {
		return total, err
	}
	capped, err := s.capEvents(ctx, r.MaxEvents)
	total += capped
	if err != nil {
		return total, err
	}
	for _, j := range jobs {
		if j.keep <= 0 {
			continue
		}
		cutoff := formatTime(now.Add(-j.keep))
		for {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			s.mu.Lock()
			res, err := s.db.ExecContext(ctx, j.query, cutoff, pruneBatch)
			s.mu.Unlock()
			if err != nil {
				return total, fmt.Errorf("prune %s: %w", j.what, err)
			}
			n, _ := res.RowsAffected()
			total += n
			if n < pruneBatch {
				break
			}
		}
	}
	return total, nil
}
