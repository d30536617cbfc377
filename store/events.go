package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// Event types beyond the alert transitions of package monitor.
const (
	TypeTargetStatus = "target.status"
)

// Event is one entry of the event log, as every transport sends it.
type Event struct {
	Seq    int64          `json:"seq"`
	Type   string         `json:"type"`
	At     time.Time      `json:"at"`
	Alert  *monitor.Alert `json:"alert,omitempty"`
	Target *TargetState   `json:"target,omitempty"`
	Writer *WriterChange  `json:"writer,omitempty"` // writer.changed (cluster mode, takeover.go)
	// Unpersisted: the store could not record the event; it carries no
	// seq and cannot be resumed (see outage.go).
	Unpersisted bool `json:"unpersisted,omitempty"`
	// State: the rows a state.changed event changed. Never on the wire:
	// only the shared log's form (LogJSON) carries it (state.go).
	State *StateChange `json:"-"`

	raw []byte // the JSON above, encoded once for every subscriber
}

// JSON returns the event's wire form.
func (e Event) JSON() []byte {
	if e.raw != nil {
		return e.raw
	}
	b, _ := json.Marshal(e) // plain structs: cannot fail
	return b
}

// MarshalJSON writes the event with its time in milliseconds, UTC.
func (e Event) MarshalJSON() ([]byte, error) {
	type wire Event
	if e.Unpersisted {
		return json.Marshal(struct {
			Seq *int64 `json:"seq,omitempty"` // hides wire's: no seq at all
			wire
			At string `json:"at"`
		}{nil, wire(e), formatTime(e.At)})
	}
	return json.Marshal(struct {
		wire
		At string `json:"at"`
	}{wire(e), formatTime(e.At)})
}

// TargetState is a target's current reachability and process table.
type TargetState struct {
	Name       string            `json:"name"`
	Kind       string            `json:"kind"`
	Reachable  bool              `json:"reachable"`
	Error      string            `json:"error"`
	ObservedAt time.Time         `json:"observed_at"`
	Processes  []monitor.Process `json:"processes"`
	Depth                        // services, paths, heartbeats, transactions (store/depth.go)
}

var _ EventLog = (*Store)(nil)

// Head returns the newest seq in the log (0 for an empty log).
func (s *Store) Head() int64 { return s.head.Load() }

func (s *Store) readHead(ctx context.Context) (int64, error) {
	var head int64
	err := s.db.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'events'`).Scan(&head)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read event head: %w", err)
	}
	return head, nil
}

// appendEvent records an event in the transaction; it is published after commit.
func (w *writeTx) appendEvent(ctx context.Context, e Event) error {
	e.At = w.now
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", e.Type, err)
	}
	res, err := w.ExecContext(ctx, `INSERT INTO events (type, at, body) VALUES (?, ?, ?)`, e.Type, formatTime(e.At), body)
	if err != nil {
		return fmt.Errorf("append %s event: %w", e.Type, err)
	}
	if e.Seq, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("append %s event: %w", e.Type, err)
	}
	if e.raw, err = json.Marshal(e); err != nil {
		return fmt.Errorf("encode %s event: %w", e.Type, err)
	}
	w.events = append(w.events, e)
	return nil
}

// recentEvents reads the newest n events, oldest first.
func (s *Store) recentEvents(ctx context.Context, n int) ([]Event, error) {
	var oldest int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MIN(seq), 0) FROM (SELECT seq FROM events ORDER BY seq DESC LIMIT ?)`, n).Scan(&oldest)
	if err != nil {
		return nil, fmt.Errorf("read recent events: %w", err)
	}
	if oldest == 0 {
		return nil, nil
	}
	return s.EventsAfter(ctx, oldest-1, n)
}

func (s *Store) oldestSeq(ctx context.Context) (int64, error) {
	var oldest sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MIN(seq) FROM events`).Scan(&oldest); err != nil {
		return 0, fmt.Errorf("read oldest event: %w", err)
	}
	return oldest.Int64, nil
}

// EventsAfter returns up to limit events with seq > since, in seq order.
func (s *Store) EventsAfter(ctx context.Context, since int64, limit int) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, since, limit)
	if err != nil {
		return nil, fmt.Errorf("read events after %d: %w", since, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var (
			seq  int64
			body []byte
		)
		if err := rows.Scan(&seq, &body); err != nil {
			return nil, fmt.Errorf("read events after %d: %w", since, err)
		}
		var e Event
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, fmt.Errorf("decode event %d: %w", seq, err)
		}
		e.Seq = seq
		if e.raw = withSeq(body, seq); e.raw == nil {
			if e.raw, err = json.Marshal(e); err != nil {
				return nil, fmt.Errorf("encode event %d: %w", seq, err)
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// storedPrefix is how a stored body begins: it is encoded before the insert
// gives it a seq.
const storedPrefix = `{"seq":0,`

// withSeq returns the wire form of a stored body: the same bytes with the
// seq written in, or nil when the body does not start as expected.
func withSeq(body []byte, seq int64) []byte {
	if !bytes.HasPrefix(body, []byte(storedPrefix)) {
		return nil
	}
	out := make([]byte, 0, len(body)+20)
	out = append(out, `{"seq":`...)
	out = strconv.AppendInt(out, seq, 10)
	return append(out, body[len(storedPrefix)-1:]...)
}
