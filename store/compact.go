package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// TypeSuperseded is what a target.status event becomes once a later
// target.status of the same target supersedes it and it is older than
// Retention.Superseded: its seq stays in the log, its process table goes.
const TypeSuperseded = "target.superseded"

// Defaults for the bounds of the event log, used when Retention leaves them zero.
const (
	// DefaultSuperseded: a superseded target.status keeps its process table
	// for an hour, for screens resuming after a short drop.
	DefaultSuperseded = time.Hour
	// DefaultMaxEvents caps the log whatever the event rate: past it the
	// oldest events go, and a client resuming from before them is reset.
	DefaultMaxEvents = 500_000
)

// compactStatus rewrites each target.status event older than cutoff that a
// later target.status of the same target supersedes into a small
// target.superseded stub. Rows are rewritten, never deleted, so the log
// keeps every seq and a client replaying it sees no gap; the latest status
// of every target is kept whole, so a replay still ends on it.
func (s *Store) compactStatus(ctx context.Context, cutoff string) (int64, error) {
	// A snapshot read, off the writer's pool: checks go on meanwhile. A
	// status appended after it only makes more rows superseded, never fewer.
	rows, err := s.rdb.QueryContext(ctx, `SELECT seq, at, COALESCE(json_extract(body, '$.target.name'), '')
		FROM events WHERE type = 'target.status' ORDER BY seq`)
	if err != nil {
		return 0, fmt.Errorf("read target.status events: %w", err)
	}
	var all []statusRow
	latest := map[string]int64{}
	for rows.Next() {
		var e statusRow
		if err := rows.Scan(&e.seq, &e.at, &e.name); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read target.status events: %w", err)
		}
		all = append(all, e)
		latest[e.name] = e.seq
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read target.status events: %w", err)
	}
	var stale []statusRow
	for _, e := range all {
		if e.at < cutoff && e.seq < latest[e.name] {
			stale = append(stale, e)
		}
	}
	var n int64
	for len(stale) > 0 {
		batch := stale[:min(len(stale), pruneBatch)]
		stale = stale[len(batch):]
		if err := s.compactBatch(ctx, batch); err != nil {
			return n, err
		}
		n += int64(len(batch))
	}
	return n, nil
}

// statusRow is a target.status event as compaction sees it.
type statusRow struct {
	seq      int64
	at, name string
}

func (s *Store) compactBatch(ctx context.Context, batch []statusRow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("compact target.status: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `UPDATE events SET type = ?, body = ? WHERE seq = ? AND type = 'target.status'`)
	if err != nil {
		return fmt.Errorf("compact target.status: %w", err)
	}
	defer stmt.Close()
	for _, e := range batch {
		// The stub begins as every stored body does (storedPrefix), so
		// EventsAfter writes its seq in.
		body := storedPrefix + `"type":"` + TypeSuperseded + `","at":` + jsonString(e.at) + `}`
		if _, err := stmt.ExecContext(ctx, TypeSuperseded, body, e.seq); err != nil {
			return fmt.Errorf("compact target.status %d: %w", e.seq, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("compact target.status: %w", err)
	}
	return nil
}

// capEvents deletes the oldest events past the newest max. Seqs are
// contiguous (compaction rewrites, never deletes), so head-max is the cut.
func (s *Store) capEvents(ctx context.Context, max int64) (int64, error) {
	cut := s.Head() - max
	if cut <= 0 {
		return 0, nil
	}
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		s.mu.Lock()
		res, err := s.db.ExecContext(ctx, `DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq <= ? ORDER BY seq LIMIT ?)`, cut, pruneBatch)
		s.mu.Unlock()
		if err != nil {
			return total, fmt.Errorf("cap events at %d: %w", max, err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// jsonString quotes a time stamp (digits, '-', ':', '.', 'T', 'Z') as JSON.
func jsonString(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}
