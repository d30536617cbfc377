package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/syncmon/syncmon/monitor"
)

// MaxSilence bounds a maintenance window.
const MaxSilence = 31 * 24 * time.Hour

func scanSilences(rows *sql.Rows) ([]monitor.Silence, error) {
	defer rows.Close()
	out := []monitor.Silence{}
	for rows.Next() {
		var (
			s          monitor.Silence
			start, end string
		)
		if err := rows.Scan(&s.ID, &s.Target, &s.Group, &s.Rule, &start, &end, &s.Comment, &s.Creator); err != nil {
			return nil, fmt.Errorf("scan silence: %w", err)
		}
		s.Start, s.End = parseTime(start), parseTime(end)
		out = append(out, s)
	}
	return out, rows.Err()
}

const silenceColumns = `id, target, grp, rule, starts_at, ends_at, comment, creator`

func silencesInForce(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, now time.Time) ([]monitor.Silence, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+silenceColumns+` FROM silences WHERE starts_at <= ? AND ends_at > ?`,
		formatTime(now), formatTime(now))
	if err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	return scanSilences(rows)
}

// Silences lists silences that have not ended (active=true) or all recent ones.
func (s *Store) Silences(ctx context.Context, active bool) ([]monitor.Silence, error) {
	q := `SELECT ` + silenceColumns + ` FROM silences ORDER BY ends_at DESC LIMIT 200`
	args := []any{}
	if active {
		q = `SELECT ` + silenceColumns + ` FROM silences WHERE ends_at > ? ORDER BY starts_at`
		args = append(args, s.stamp())
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list silences: %w", err)
	}
	return scanSilences(rows)
}

// CheckSilence returns what is wrong with a silence, or nil.
func CheckSilence(in monitor.Silence) error {
	var p []string
	if in.Target == "" && in.Group == "" && in.Rule == "" {
		p = append(p, "name at least one of target, group, rule")
	}
	for _, v := range []string{in.Target, in.Group, in.Rule} {
		if utf8.RuneCountInString(v) > 200 || !utf8.ValidString(v) {
			p = append(p, "matchers are at most 200 characters")
			break
		}
	}
	if strings.TrimSpace(in.Comment) == "" {
		p = append(p, "a comment is required")
	} else if utf8.RuneCountInString(in.Comment) > MaxCommentLen {
		p = append(p, "the comment is too long")
	}
	if !in.End.After(in.Start) {
		p = append(p, "end must be after start")
	} else if in.End.Sub(in.Start) > MaxSilence {
		p = append(p, "a silence lasts at most 31 days")
	}
	if len(p) > 0 {
		return &InvalidError{Problems: p}
	}
	return nil
}

// CreateSilence records a maintenance window made by by (its Creator) and
// marks the active alerts it covers now (each with an alert.updated event).
func (s *Store) CreateSilence(ctx context.Context, by Actor, in monitor.Silence) (monitor.Silence, error) {
	in = normalSilence(by, in)
	if err := CheckSilence(in); err != nil {
		return in, err
	}
	var err error
	if f := s.forwarding(); f != nil {
		var res CommandResult
		if res, err = s.forwardCmd(ctx, f, Command{Op: OpCreateSilence, By: by, Silence: &in}); err == nil {
			if res.Silence == nil {
				err = fmt.Errorf("the writer's answer has no silence")
			} else {
				in = *res.Silence
			}
		}
	} else {
		in, err = s.createSilence(ctx, by, in)
	}
	if err != nil {
		return in, fmt.Errorf("create silence: %w", err)
	}
	return in, nil
}

// normalSilence is in as it is kept: made by by, matchers trimmed.
func normalSilence(by Actor, in monitor.Silence) monitor.Silence {
	in.Creator = by.Name
	in.Group = strings.ToUpper(strings.TrimSpace(in.Group))
	in.Target, in.Rule, in.Comment = strings.TrimSpace(in.Target), strings.TrimSpace(in.Rule), strings.TrimSpace(in.Comment)
	return in
}

func (s *Store) createSilence(ctx context.Context, by Actor, in monitor.Silence) (monitor.Silence, error) {
	err := s.write(ctx, func(w *writeTx) error {
		res, err := w.ExecContext(ctx, `INSERT INTO silences (target, grp, rule, starts_at, ends_at, comment, creator, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, in.Target, in.Group, in.Rule, formatTime(in.Start), formatTime(in.End),
			in.Comment, in.Creator, formatTime(w.now))
		if err != nil {
			return fmt.Errorf("insert silence: %w", err)
		}
		if in.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("insert silence: %w", err)
		}
		if err := w.putRow(ctx, "silences", in.ID); err != nil {
			return err
		}
		if err := w.audit(ctx, by, AuditSilence, silenceSubject(in.ID), silenceDetail(in)); err != nil {
			return err
		}
		return w.resilence(ctx)
	})
	return in, err
}

// ExpireSilence ends a silence now; the alerts it covered speak again.
func (s *Store) ExpireSilence(ctx context.Context, by Actor, id int64) error {
	var err error
	if f := s.forwarding(); f != nil {
		_, err = s.forwardCmd(ctx, f, Command{Op: OpExpireSilence, By: by, ID: id})
	} else {
		err = s.expireSilence(ctx, by, id)
	}
	if err != nil {
		return fmt.Errorf("expire silence %d: %w", id, err)
	}
	return nil
}

func (s *Store) expireSilence(ctx context.Context, by Actor, id int64) error {
	return s.write(ctx, func(w *writeTx) error {
		res, err := w.ExecContext(ctx, `UPDATE silences SET ends_at = ? WHERE id = ? AND ends_at > ?`,
			formatTime(w.now), id, formatTime(w.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var exists int
			if err := w.QueryRowContext(ctx, `SELECT COUNT(*) FROM silences WHERE id = ?`, id).Scan(&exists); err != nil {
				return err
			}
			if exists == 0 {
				return ErrNotFound
			}
			return nil // already over
		}
		if err := w.putRow(ctx, "silences", id); err != nil {
			return err
		}
		if err := w.audit(ctx, by, AuditSilenceExpire, silenceSubject(id), ""); err != nil {
			return err
		}
		return w.resilence(ctx)
	})
}

// Resilence brings every active alert's silenced mark up to date with the
// silences in force (a window that began or ended since the last check).
func (s *Store) Resilence(ctx context.Context) error {
	return s.write(ctx, func(w *writeTx) error { return w.resilence(ctx) })
}

func (w *writeTx) resilence(ctx context.Context) error {
	silences, err := silencesInForce(ctx, w, w.now)
	if err != nil {
		return err
	}
	active, err := queryAlerts(ctx, w, `WHERE state IN ('open', 'acked') AND test = 0`)
	if err != nil {
		return err
	}
	for _, tr := range monitor.Resilence(active, silences, w.now) {
		if err := w.applyTransition(ctx, tr, "syncmon"); err != nil {
			return err
		}
	}
	return nil
}

func silenceSubject(id int64) string { return fmt.Sprintf("silence %d", id) }

// silenceDetail describes a silence for the audit log.
func silenceDetail(sl monitor.Silence) string {
	return fmt.Sprintf("target=%q group=%q rule=%q from %s until %s: %s", sl.Target, sl.Group, sl.Rule,
		sl.Start.UTC().Format(time.RFC3339), sl.End.UTC().Format(time.RFC3339), sl.Comment)
}
