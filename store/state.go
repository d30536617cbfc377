package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// This file carries the state that is not alerts on the shared log
// (cluster mode): accounts, sign-in and kiosk sessions, kiosk tokens and
// silences. A write that changes them on the writer records, in its own
// transaction, one extra event of type state.changed whose log form holds
// the changed rows exactly as the tables store them (password hashes and
// token hashes, never a secret a client holds); every node applies those
// rows in ApplyEvent, in the transaction that records the event.
//
// The wire form of that event (what screens, /events, /ws and /poll get,
// and what the events table keeps) is only its seq, type and time: screens
// see every seq, so a resuming client finds no gap, and nothing else.
//
// On a single node (no commit hook) none of this runs: no row is captured
// and no state.changed event is recorded.

// TypeStateChanged is a log entry that changed replicated state. Its wire
// form carries nothing but seq, type and at.
const TypeStateChanged = "state.changed"

// StateChange is what a state.changed entry of the log carries: the rows a
// write changed, in the order it changed them.
type StateChange struct {
	Ops []RowOp `json:"ops"`
}

// RowOp is one row change. Put upserts Row (every column) by its id; Add
// inserts Row without an id (audit entries, which each node numbers
// itself); Del deletes the rows whose Col equals Val.
type RowOp struct {
	Op    string         `json:"op"` // "put", "add", "del"
	Table string         `json:"table"`
	Row   map[string]any `json:"row,omitempty"`
	Col   string         `json:"col,omitempty"`
	Val   any            `json:"val,omitempty"`
}

// Row operations.
const (
	rowPut = "put"
	rowAdd = "add"
	rowDel = "del"
)

// replicated lists the tables a state.changed entry may touch, each with
// its columns that must stay unique besides id: when a row of the log
// takes such a value that this node holds under another id (say an
// account made on this node alone), the log wins and the local row goes.
var replicated = map[string][]string{
	"users":        {"name"},
	"sessions":     {"token_hash"},
	"kiosk_tokens": {"token_hash"},
	"silences":     nil,
	"audit":        nil,
}

// changes reports whether c holds more than audit entries: an audit entry
// alone (a failed sign-in) stays on the node that wrote it.
func (c *StateChange) changes() bool {
	if c == nil {
		return false
	}
	for _, op := range c.Ops {
		if op.Op != rowAdd {
			return true
		}
	}
	return false
}

// putRow records the row of table with this id as it is now in the
// transaction, when the store replicates state.
func (w *writeTx) putRow(ctx context.Context, table string, id int64) error {
	if w.state == nil {
		return nil
	}
	row, err := w.readRow(ctx, table, id)
	if err != nil {
		return err
	}
	if row != nil {
		w.state.Ops = append(w.state.Ops, RowOp{Op: rowPut, Table: table, Row: row})
	}
	return nil
}

// delRows records that the rows of table whose col equals val were deleted.
func (w *writeTx) delRows(table, col string, val any) {
	if w.state != nil {
		w.state.Ops = append(w.state.Ops, RowOp{Op: rowDel, Table: table, Col: col, Val: val})
	}
}

// addRow records a row inserted without its id.
func (w *writeTx) addRow(table string, row map[string]any) {
	if w.state != nil {
		w.state.Ops = append(w.state.Ops, RowOp{Op: rowAdd, Table: table, Row: row})
	}
}

// readRow reads one row as column → value (nil when there is none).
func (w *writeTx) readRow(ctx context.Context, table string, id int64) (map[string]any, error) {
	if _, ok := replicated[table]; !ok {
		return nil, fmt.Errorf("table %q is not replicated", table)
	}
	rows, err := w.QueryContext(ctx, `SELECT * FROM `+table+` WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("read %s %d: %w", table, id, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("read %s %d: %w", table, id, err)
	}
	if !rows.Next() {
		return nil, rows.Err()
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("read %s %d: %w", table, id, err)
	}
	row := make(map[string]any, len(cols))
	for i, c := range cols {
		if b, ok := vals[i].([]byte); ok {
			vals[i] = string(b)
		}
		row[c] = vals[i]
	}
	return row, rows.Err()
}

// LogJSON returns the event as the shared log keeps it: the wire form,
// plus, for a state.changed event, the rows it changed. Only the log holds
// this form; screens get JSON().
func (e Event) LogJSON() []byte {
	b := e.JSON()
	if e.State == nil || len(b) < 2 || b[len(b)-1] != '}' {
		return b
	}
	st, err := json.Marshal(e.State)
	if err != nil {
		return b
	}
	out := make([]byte, 0, len(b)+len(st)+10)
	out = append(out, b[:len(b)-1]...)
	out = append(out, `,"state":`...)
	out = append(out, st...)
	return append(out, '}')
}

// decodeState reads the state a log entry carries (nil when none).
func decodeState(body []byte) (*StateChange, error) {
	if !bytes.Contains(body, []byte(`"state"`)) {
		return nil, nil
	}
	var v struct {
		State *StateChange `json:"state"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // ids and counts stay integers
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode state: %w", err)
	}
	return v.State, nil
}

// applyState writes the rows a state.changed entry carries.
func (w *writeTx) applyState(ctx context.Context, c *StateChange) error {
	for i, op := range c.Ops {
		if err := w.applyRowOp(ctx, op); err != nil {
			return fmt.Errorf("apply state op %d (%s %s): %w", i, op.Op, op.Table, err)
		}
	}
	return nil
}

func (w *writeTx) applyRowOp(ctx context.Context, op RowOp) error {
	unique, ok := replicated[op.Table]
	if !ok {
		return fmt.Errorf("table %q is not replicated", op.Table)
	}
	cols, err := w.columns(ctx, op.Table)
	if err != nil {
		return err
	}
	switch op.Op {
	case rowDel:
		if !cols[op.Col] {
			return fmt.Errorf("no column %q", op.Col)
		}
		_, err := w.ExecContext(ctx, `DELETE FROM `+op.Table+` WHERE `+op.Col+` = ?`, sqlValue(op.Val))
		return err
	case rowPut, rowAdd:
	default:
		return fmt.Errorf("unknown row op %q", op.Op)
	}
	names := make([]string, 0, len(op.Row))
	args := make([]any, 0, len(op.Row))
	for c, v := range op.Row {
		if !cols[c] {
			return fmt.Errorf("no column %q", c)
		}
		if op.Op == rowAdd && c == "id" {
			continue
		}
		names = append(names, c)
		args = append(args, sqlValue(v))
	}
	if len(names) == 0 {
		return fmt.Errorf("empty row")
	}
	q := `INSERT INTO ` + op.Table + ` (` + strings.Join(names, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(names)-1) + `)`
	if op.Op == rowAdd {
		_, err := w.ExecContext(ctx, q, args...)
		return err
	}
	id, ok := op.Row["id"]
	if !ok {
		return fmt.Errorf("row without id")
	}
	for _, u := range unique {
		if v, ok := op.Row[u]; ok {
			if _, err := w.ExecContext(ctx, `DELETE FROM `+op.Table+` WHERE `+u+` = ? AND id != ?`, sqlValue(v), sqlValue(id)); err != nil {
				return err
			}
		}
	}
	sets := make([]string, 0, len(names))
	for _, c := range names {
		if c != "id" {
			sets = append(sets, c+" = excluded."+c)
		}
	}
	if len(sets) > 0 {
		q += ` ON CONFLICT (id) DO UPDATE SET ` + strings.Join(sets, ", ")
	} else {
		q += ` ON CONFLICT (id) DO NOTHING`
	}
	_, err = w.ExecContext(ctx, q, args...)
	return err
}

// columns returns the columns of table in this database.
func (w *writeTx) columns(ctx context.Context, table string) (map[string]bool, error) {
	rows, err := w.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		out[n] = true
	}
	return out, rows.Err()
}

// sqlValue turns a decoded JSON value into what the driver takes.
func sqlValue(v any) any {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i
		}
		f, _ := n.Float64()
		return f
	}
	return v
}
