package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

const alertColumns = `id, target, program, grp, rule, severity, state, message, speech_ko, speech_en,
	opened_at, updated_at, acked_by, acked_at, comment, resolved_at, test, silenced`

type scanner interface{ Scan(dest ...any) error }

func scanAlert(r scanner) (monitor.Alert, error) {
	var (
		a                         monitor.Alert
		opened, updated           string
		ackedBy, ackedAt, comment sql.NullString
		resolvedAt                sql.NullString
	)
	err := r.Scan(&a.ID, &a.Target, &a.Program, &a.Group, &a.Rule, &a.Severity, &a.State, &a.Message,
		&a.Speech.Ko, &a.Speech.En, &opened, &updated, &ackedBy, &ackedAt, &comment, &resolvedAt, &a.Test, &a.Silenced)
	if err != nil {
		return a, err
	}
	a.OpenedAt, a.UpdatedAt = parseTime(opened), parseTime(updated)
	a.AckedBy, a.AckedAt, a.Comment, a.ResolvedAt = nullString(ackedBy), nullTime(ackedAt), nullString(comment), nullTime(resolvedAt)
	return a, nil
}

func queryAlerts(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]monitor.Alert, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("query alerts: %w", err)
	}
	defer rows.Close()
	out := []monitor.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("scan alert: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (w *writeTx) activeAlerts(ctx context.Context, target string) ([]monitor.Alert, error) {
	return queryAlerts(ctx, w, `WHERE target = ? AND state IN ('open', 'acked') AND test = 0`, target)
}

// AlertFilter selects alerts: State is open, acked, resolved, active (open +
// acked), silenced (active and inside a maintenance window) or empty for all.
type AlertFilter struct {
	State string
	Limit int
}

// Alerts lists alerts, newest first.
func (s *Store) Alerts(ctx context.Context, f AlertFilter) ([]monitor.Alert, error) {
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	switch f.State {
	case "":
		return queryAlerts(ctx, s.db, `ORDER BY id DESC LIMIT ?`, limit)
	case "active":
		return queryAlerts(ctx, s.db, `WHERE state IN ('open', 'acked') ORDER BY id DESC LIMIT ?`, limit)
	case "silenced":
		return queryAlerts(ctx, s.db, `WHERE state IN ('open', 'acked') AND silenced = 1 ORDER BY id DESC LIMIT ?`, limit)
	case monitor.StateOpen, monitor.StateAcked, monitor.StateResolved:
		return queryAlerts(ctx, s.db, `WHERE state = ? ORDER BY id DESC LIMIT ?`, f.State, limit)
	}
	return nil, fmt.Errorf("alert state %q: %w", f.State, ErrInvalid)
}

// Alert returns one alert.
func (s *Store) Alert(ctx context.Context, id int64) (monitor.Alert, error) {
	a, err := scanAlert(s.db.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("alert %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("alert %d: %w", id, err)
	}
	return a, nil
}

// HistoryEntry is one recorded action on an alert.
type HistoryEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Detail string    `json:"detail"`
}

// History returns what happened to an alert, oldest first.
func (s *Store) History(ctx context.Context, id int64) ([]HistoryEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at, actor, action, detail FROM alert_history WHERE alert_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("alert %d history: %w", id, err)
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var (
			h  HistoryEntry
			at string
		)
		if err := rows.Scan(&at, &h.Actor, &h.Action, &h.Detail); err != nil {
			return nil, fmt.Errorf("alert %d history: %w", id, err)
		}
		h.At = parseTime(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// applyTransition writes one alert transition, its history entry and its event.
func (w *writeTx) applyTransition(ctx context.Context, tr monitor.Transition, actor string) error {
	_, err := w.applyTransitionID(ctx, tr, actor)
	return err
}

// applyTransitionID is applyTransition, returning the alert's id (new for
// an opened alert).
func (w *writeTx) applyTransitionID(ctx context.Context, tr monitor.Transition, actor string) (int64, error) {
	a := tr.Alert
	if tr.Type == monitor.AlertOpened {
		res, err := w.ExecContext(ctx, `INSERT INTO alerts (target, program, grp, rule, severity, state, message,
			speech_ko, speech_en, opened_at, updated_at, test, silenced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.Target, a.Program, a.Group, a.Rule, a.Severity, a.State, a.Message, a.Speech.Ko, a.Speech.En,
			formatTime(a.OpenedAt), formatTime(a.UpdatedAt), a.Test, a.Silenced)
		if err != nil {
			return 0, fmt.Errorf("open alert: %w", err)
		}
		if a.ID, err = res.LastInsertId(); err != nil {
			return 0, fmt.Errorf("open alert: %w", err)
		}
	} else {
		var ackedAt, resolvedAt any
		if a.AckedAt != nil {
			ackedAt = formatTime(*a.AckedAt)
		}
		if a.ResolvedAt != nil {
			resolvedAt = formatTime(*a.ResolvedAt)
		}
		if _, err := w.ExecContext(ctx, `UPDATE alerts SET severity = ?, state = ?, message = ?, speech_ko = ?,
			speech_en = ?, updated_at = ?, acked_by = ?, acked_at = ?, comment = ?, resolved_at = ?, silenced = ? WHERE id = ?`,
			a.Severity, a.State, a.Message, a.Speech.Ko, a.Speech.En, formatTime(a.UpdatedAt),
			a.AckedBy, ackedAt, a.Comment, resolvedAt, a.Silenced, a.ID); err != nil {
			return 0, fmt.Errorf("update alert %d: %w", a.ID, err)
		}
	}
	detail := a.Severity + ": " + a.Message
	switch {
	case tr.Type == monitor.AlertAcked && a.Comment != nil:
		detail = *a.Comment
	case tr.Type == monitor.AlertUpdated && a.Silenced:
		detail += " (silenced)"
	}
	if _, err := w.ExecContext(ctx, `INSERT INTO alert_history (alert_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)`,
		a.ID, formatTime(w.now), actor, strings.TrimPrefix(tr.Type, "alert."), detail); err != nil {
		return 0, fmt.Errorf("alert %d history: %w", a.ID, err)
	}
	return a.ID, w.appendEvent(ctx, Event{Type: tr.Type, Alert: &a})
}

// MaxCommentLen bounds an ack comment, in characters.
const MaxCommentLen = 1000

// Ack acknowledges an open alert: it stops asking for attention and stays
// visible until resolved.
func (s *Store) Ack(ctx context.Context, by Actor, id int64, comment string) (monitor.Alert, error) {
	if f := s.forwarding(); f != nil {
		res, err := s.forwardCmd(ctx, f, Command{Op: OpAck, By: by, ID: id, Comment: comment})
		return res.Alert, err
	}
	a, err := s.changeAlert(ctx, by, id, monitor.StateOpen, monitor.AlertAcked, AuditAck, comment, func(a *monitor.Alert, now time.Time) {
		a.State, a.AckedBy, a.AckedAt, a.Comment = monitor.StateAcked, &by.Name, &now, &comment
	})
	if err != nil {
		return a, fmt.Errorf("ack alert %d: %w", id, err)
	}
	return a, nil
}

// Unack takes an acknowledgement back: the alert asks for attention again.
func (s *Store) Unack(ctx context.Context, by Actor, id int64) (monitor.Alert, error) {
	if f := s.forwarding(); f != nil {
		res, err := s.forwardCmd(ctx, f, Command{Op: OpUnack, By: by, ID: id})
		return res.Alert, err
	}
	a, err := s.changeAlert(ctx, by, id, monitor.StateAcked, monitor.AlertUnacked, AuditUnack, "", func(a *monitor.Alert, _ time.Time) {
		a.State, a.AckedBy, a.AckedAt, a.Comment = monitor.StateOpen, nil, nil, nil
	})
	if err != nil {
		return a, fmt.Errorf("unack alert %d: %w", id, err)
	}
	return a, nil
}

// changeAlert applies a person's change to an alert that must be in state
// from, recording it as transition typ and as audit action (with detail).
func (s *Store) changeAlert(ctx context.Context, by Actor, id int64, from, typ, action, detail string, change func(*monitor.Alert, time.Time)) (monitor.Alert, error) {
	var out monitor.Alert
	err := s.write(ctx, func(w *writeTx) error {
		a, err := scanAlert(w.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if a.State != from {
			return fmt.Errorf("alert is %s: %w", a.State, ErrConflict)
		}
		change(&a, w.now)
		a.UpdatedAt = w.now
		out = a
		if err := w.applyTransition(ctx, monitor.Transition{Type: typ, Alert: a}, by.Name); err != nil {
			return err
		}
		return w.audit(ctx, by, action, alertSubject(id), detail)
	})
	return out, err
}

// TestAlertLifetime is how long an unacknowledged test alert stays open.
const TestAlertLifetime = 5 * time.Minute

// MaxTestMessageLen bounds a test alert's message, in characters.
const MaxTestMessageLen = 500

// CreateTestAlert opens a critical test alert that travels the whole path.
// It returns the alert and the seq of its event.
func (s *Store) CreateTestAlert(ctx context.Context, by Actor, message string) (monitor.Alert, int64, error) {
	if f := s.forwarding(); f != nil {
		res, err := s.forwardCmd(ctx, f, Command{Op: OpTestAlert, By: by, Message: message})
		return res.Alert, res.Seq, err
	}
	var (
		out monitor.Alert
		seq int64
	)
	err := s.write(ctx, func(w *writeTx) error {
		msg, speech := monitor.TestAlertText(message)
		a := monitor.Alert{Target: "syncmon", Rule: monitor.RuleTest, Severity: monitor.SeverityCritical,
			State: monitor.StateOpen, Message: msg, Speech: speech, OpenedAt: w.now, UpdatedAt: w.now, Test: true}
		if err := w.applyTransition(ctx, monitor.Transition{Type: monitor.AlertOpened, Alert: a}, by.Name); err != nil {
			return err
		}
		last := w.events[len(w.events)-1]
		out, seq = *last.Alert, last.Seq
		return w.audit(ctx, by, AuditTestAlert, alertSubject(out.ID), message)
	})
	if err != nil {
		return out, 0, fmt.Errorf("create test alert: %w", err)
	}
	return out, seq, nil
}

// ExpireTestAlerts resolves test alerts left unacknowledged for
// TestAlertLifetime, and acknowledged ones that long after their ack.
func (s *Store) ExpireTestAlerts(ctx context.Context) error {
	err := s.write(ctx, func(w *writeTx) error {
		cutoff := formatTime(w.now.Add(-TestAlertLifetime))
		old, err := queryAlerts(ctx, w, `WHERE test = 1 AND ((state = 'open' AND opened_at <= ?)
			OR (state = 'acked' AND acked_at <= ?))`, cutoff, cutoff)
		if err != nil {
			return err
		}
		return w.resolveBySyncMon(ctx, old)
	})
	if err != nil {
		return fmt.Errorf("expire test alerts: %w", err)
	}
	return nil
}

// alertSubject names an alert in the audit log.
func alertSubject(id int64) string { return fmt.Sprintf("alert %d", id) }

// resolveBySyncMon resolves alerts now, as SyncMon's own doing (not an
// operator's): expired test alerts, cleared syncmon alerts.
func (w *writeTx) resolveBySyncMon(ctx context.Context, alerts []monitor.Alert) error {
	for _, a := range alerts {
		now := w.now
		a.State, a.ResolvedAt, a.UpdatedAt = monitor.StateResolved, &now, now
		if err := w.applyTransition(ctx, monitor.Transition{Type: monitor.AlertResolved, Alert: a}, "syncmon"); err != nil {
			return err
		}
	}
	return nil
}
