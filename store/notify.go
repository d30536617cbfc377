package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The event log is the outbox of outbound notifications: an alert event is
// recorded in the transaction that changes the alert, so it cannot be lost.
// What follows is each channel's progress through the log (package notify
// does the delivering).

// NotifyDelivery is the state of one event on one notification channel: its
// failed attempts so far, or the failure it was given up with (GaveUpAt set).
type NotifyDelivery struct {
	Channel        string     `json:"channel"`
	Seq            int64      `json:"seq"`
	EventType      string     `json:"event_type"`
	AlertID        int64      `json:"alert_id"`
	Attempts       int        `json:"attempts"`
	FirstAttemptAt time.Time  `json:"first_attempt_at"`
	NextAttemptAt  time.Time  `json:"next_attempt_at"`
	LastError      string     `json:"last_error"` // never holds the URL (its token)
	GaveUpAt       *time.Time `json:"gave_up_at"`
}

// NotifyAlert is what a channel knows of an active alert: the severity it
// last saw in the log, and the one it last told ("" when it never spoke of
// the alert).
type NotifyAlert struct {
	Seen string
	Told string
}

// NotifyChange updates what a channel knows of an alert as its cursor moves
// past an event about it. Forget drops the alert (it resolved).
type NotifyChange struct {
	AlertID int64
	NotifyAlert
	Forget bool
}

// NotifyCursor returns the seq up to which the channel has handled the log.
// A channel seen for the first time starts at the head: it hears of what
// happens from now on, not of the whole retained history.
func (s *Store) NotifyCursor(ctx context.Context, channel string) (int64, error) {
	var seq int64
	err := s.write(ctx, func(w *writeTx) error {
		if _, err := w.ExecContext(ctx, `INSERT INTO notify_cursors (channel, seq, updated_at)
			VALUES (?, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0), ?)
			ON CONFLICT (channel) DO NOTHING`, channel, formatTime(w.now)); err != nil {
			return err
		}
		return w.QueryRowContext(ctx, `SELECT seq FROM notify_cursors WHERE channel = ?`, channel).Scan(&seq)
	})
	if err != nil {
		return 0, fmt.Errorf("notify cursor of %s: %w", channel, err)
	}
	return seq, nil
}

// NotifyKnown returns what the channel knows of the alert (zero when nothing).
func (s *Store) NotifyKnown(ctx context.Context, channel string, alertID int64) (NotifyAlert, error) {
	var k NotifyAlert
	err := s.db.QueryRowContext(ctx, `SELECT seen, told FROM notify_alerts WHERE channel = ? AND alert_id = ?`,
		channel, alertID).Scan(&k.Seen, &k.Told)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("notify state of alert %d on %s: %w", alertID, channel, err)
	}
	return k, nil
}

const deliveryColumns = `channel, seq, event_type, alert_id, attempts, first_attempt_at, next_attempt_at, last_error, gave_up_at`

func scanDelivery(r scanner) (NotifyDelivery, error) {
	var (
		d           NotifyDelivery
		first, next string
		gaveUp      sql.NullString
	)
	if err := r.Scan(&d.Channel, &d.Seq, &d.EventType, &d.AlertID, &d.Attempts, &first, &next, &d.LastError, &gaveUp); err != nil {
		return d, err
	}
	d.FirstAttemptAt, d.NextAttemptAt, d.GaveUpAt = parseTime(first), parseTime(next), nullTime(gaveUp)
	return d, nil
}

// NotifyPending returns the failed attempts so far of the event on the
// channel, or ErrNotFound when it has none (not tried yet, or delivered).
func (s *Store) NotifyPending(ctx context.Context, channel string, seq int64) (NotifyDelivery, error) {
	d, err := scanDelivery(s.db.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM notify_deliveries
		WHERE channel = ? AND seq = ? AND gave_up_at IS NULL`, channel, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("notify attempts of event %d on %s: %w", seq, channel, err)
	}
	return d, nil
}

// NotifyRetry records a failed attempt: d's attempts, last error and when
// to try next, so that a restart carries on where this run stopped.
func (s *Store) NotifyRetry(ctx context.Context, d NotifyDelivery) error {
	err := s.write(ctx, func(w *writeTx) error { return w.saveDelivery(ctx, d, nil) })
	if err != nil {
		return fmt.Errorf("record notify attempt of event %d on %s: %w", d.Seq, d.Channel, err)
	}
	return nil
}

// NotifyDone moves the channel's cursor to seq (the event and every one
// before it are handled: delivered or not meant for this channel), forgets
// its failed attempts and applies change, all in one transaction.
func (s *Store) NotifyDone(ctx context.Context, channel string, seq int64, change *NotifyChange) error {
	err := s.write(ctx, func(w *writeTx) error {
		if _, err := w.ExecContext(ctx, `DELETE FROM notify_deliveries WHERE channel = ? AND seq = ? AND gave_up_at IS NULL`,
			channel, seq); err != nil {
			return err
		}
		return w.advanceNotify(ctx, channel, seq, change)
	})
	if err != nil {
		return fmt.Errorf("advance notify cursor of %s to %d: %w", channel, seq, err)
	}
	return nil
}

// NotifyGiveUp records that the channel gave up on d's event (listed by
// NotifyFailures from now on) and moves its cursor past it.
func (s *Store) NotifyGiveUp(ctx context.Context, d NotifyDelivery, change *NotifyChange) error {
	err := s.write(ctx, func(w *writeTx) error {
		now := w.now
		if err := w.saveDelivery(ctx, d, &now); err != nil {
			return err
		}
		return w.advanceNotify(ctx, d.Channel, d.Seq, change)
	})
	if err != nil {
		return fmt.Errorf("give up event %d on %s: %w", d.Seq, d.Channel, err)
	}
	return nil
}

// NotifyFailures lists the deliveries given up on, newest first, at most limit.
func (s *Store) NotifyFailures(ctx context.Context, limit int) ([]NotifyDelivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM notify_deliveries
		WHERE gave_up_at IS NOT NULL ORDER BY gave_up_at DESC, seq DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list notify failures: %w", err)
	}
	defer rows.Close()
	var out []NotifyDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list notify failures: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notify failures: %w", err)
	}
	return out, nil
}

func (w *writeTx) saveDelivery(ctx context.Context, d NotifyDelivery, gaveUp *time.Time) error {
	var gave any
	if gaveUp != nil {
		gave = formatTime(*gaveUp)
	}
	if d.FirstAttemptAt.IsZero() {
		d.FirstAttemptAt = w.now
	}
	if d.NextAttemptAt.IsZero() {
		d.NextAttemptAt = w.now
	}
	_, err := w.ExecContext(ctx, `INSERT INTO notify_deliveries (`+deliveryColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel, seq) DO UPDATE SET attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
		last_error = excluded.last_error, gave_up_at = excluded.gave_up_at`,
		d.Channel, d.Seq, d.EventType, d.AlertID, d.Attempts, formatTime(d.FirstAttemptAt), formatTime(d.NextAttemptAt),
		d.LastError, gave)
	return err
}

// advanceNotify moves the cursor forward (never back) and applies change.
func (w *writeTx) advanceNotify(ctx context.Context, channel string, seq int64, change *NotifyChange) error {
	if _, err := w.ExecContext(ctx, `INSERT INTO notify_cursors (channel, seq, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (channel) DO UPDATE SET seq = MAX(seq, excluded.seq), updated_at = excluded.updated_at`,
		channel, seq, formatTime(w.now)); err != nil {
		return err
	}
	switch {
	case change == nil:
		return nil
	case change.Forget:
		_, err := w.ExecContext(ctx, `DELETE FROM notify_alerts WHERE channel = ? AND alert_id = ?`, channel, change.AlertID)
		return err
	default:
		_, err := w.ExecContext(ctx, `INSERT INTO notify_alerts (channel, alert_id, seen, told) VALUES (?, ?, ?, ?)
			ON CONFLICT (channel, alert_id) DO UPDATE SET seen = excluded.seen, told = excluded.told`,
			channel, change.AlertID, change.Seen, change.Told)
		return err
	}
}
