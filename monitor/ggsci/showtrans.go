package ggsci

import (
	"fmt"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// SEND EXTRACT x, SHOWTRANS (ogg-depth.md §4). A reply:
//
//	Sending SHOWTRANS request to EXTRACT C11 ...
//
//	------------------------------------------------------------
//	XID:                  5.15.930
//	Items:                1
//	Extract:              C11
//	Redo Thread:          1
//	Start Time:           2019-03-29:22:00:35
//	SCN:                  0.1124828 (1124828)
//	Redo Seq:             10
//	Redo RBA:             122960912
//	Status:               Running
//
// one dashed block per open transaction, possibly after an "Oldest redo
// log file necessary to restart Extract is:" preamble (ignored).

// ShowTrans is one Extract's reply to SHOWTRANS.
type ShowTrans struct {
	Extract string `json:"extract"` // upper-case
	// Transactions are the open transactions, as listed (OGG lists the
	// oldest first); empty when none is open.
	Transactions []monitor.Transaction `json:"transactions"`
	// Error is why this Extract's reply could not be read: an ERROR GGSCI
	// printed for it ("EXTRACT EXT9 not currently running."), or a block
	// without an XID or with an unreadable start time. Other Extracts'
	// replies are unaffected.
	Error string `json:"error,omitempty"`
}

// ParseShowTrans reads a session's output holding one or more SHOWTRANS
// replies (other commands' output between them is skipped; a prompt ends a
// reply). Start Time carries no zone: it is read in now's location, so
// pass now in the OGG host's zone. AgeSeconds is now − Start Time, never
// negative. Output with no SHOWTRANS reply and no group error is a
// *monitor.ParseError.
func ParseShowTrans(out []byte, now time.Time) ([]ShowTrans, error) {
	const what = "showtrans"
	r, err := readText(out, what)
	if err != nil {
		return nil, err
	}
	var (
		replies  []ShowTrans
		cur      = -1 // index of the reply being read, -1 between replies
		tx       *monitor.Transaction
		txLine   int
		txErr    string // why tx cannot be used
		loneErrs []string
	)
	reply := func(group string) int {
		for i := range replies {
			if replies[i].Extract == group {
				return i
			}
		}
		replies = append(replies, ShowTrans{Extract: group, Transactions: []monitor.Transaction{}})
		return len(replies) - 1
	}
	fail := func(i int, msg string) {
		if replies[i].Error == "" {
			replies[i].Error = msg
		}
	}
	closeTx := func() {
		if tx == nil {
			return
		}
		i := cur
		if tx.Process != "" && (i < 0 || replies[i].Extract != tx.Process) {
			i = reply(tx.Process)
		}
		switch {
		case i < 0:
			loneErrs = append(loneErrs, fmt.Sprintf("line %d: transaction outside a SHOWTRANS reply", txLine))
		case tx.XID == "":
			fail(i, fmt.Sprintf("line %d: transaction without XID", txLine))
		case txErr != "":
			fail(i, txErr)
		default:
			if tx.Process == "" {
				tx.Process = replies[i].Extract
			}
			replies[i].Transactions = append(replies[i].Transactions, *tx)
		}
		tx = nil
	}
	for l := range r.lines() {
		t := l.trim
		if l.prompt {
			closeTx()
			cur = -1
		}
		if l.isErr {
			msg := depthClip(l.errMsg, 500)
			closeTx()
			if _, g, ok := depthGroupNamed(msg); ok {
				fail(reply(g), msg)
			} else if cur >= 0 {
				fail(cur, msg)
			} else {
				loneErrs = append(loneErrs, msg)
			}
			continue
		}
		if len(t) > 28 && strings.EqualFold(t[:28], "Sending SHOWTRANS request to") {
			closeTx()
			if _, g, ok := depthGroupNamed(t); ok {
				cur = reply(g)
			}
			continue
		}
		if len(t) >= 20 && strings.Trim(t, "-") == "" {
			closeTx()
			tx, txLine, txErr = &monitor.Transaction{}, l.n, ""
			continue
		}
		if tx == nil {
			continue
		}
		label, value, ok := depthField(t)
		if !ok {
			continue
		}
		switch strings.ToLower(label) {
		case "xid":
			tx.XID = depthClip(value, 64)
		case "items":
			if v, ok := depthInt(value); ok {
				tx.Items = &v
			}
		case "extract":
			tx.Process = strings.ToUpper(depthClip(value, 64))
		case "redo thread":
			if v, ok := depthInt(value); ok && v < 1<<16 {
				tx.RedoThread = int(v)
			}
		case "start time":
			st, err := time.ParseInLocation("2006-01-02:15:04:05", value, now.Location())
			if err != nil {
				st, err = time.ParseInLocation("2006-01-02 15:04:05", value, now.Location())
			}
			if err != nil {
				txErr = fmt.Sprintf("line %d: unreadable Start Time %q", l.n, depthClip(value, 40))
				continue
			}
			age := depthAge(now, st)
			tx.StartedAt, tx.AgeSeconds = &st, &age
		case "status":
			tx.Status = depthClip(value, 64)
		}
	}
	closeTx()
	if len(replies) == 0 {
		reason := "no \"Sending SHOWTRANS request\" line: not SHOWTRANS output"
		if len(loneErrs) > 0 {
			reason = "GGSCI reported: " + strings.Join(loneErrs, "; ")
		}
		return nil, &monitor.ParseError{What: what, Reason: reason}
	}
	return replies, nil
}

// OldestTransaction returns the reply's oldest transaction with a known
// start, the one the long_transaction alert names.
func (s ShowTrans) OldestTransaction() (monitor.Transaction, bool) {
	var oldest *monitor.Transaction
	for i, t := range s.Transactions {
		if t.StartedAt != nil && (oldest == nil || t.StartedAt.Before(*oldest.StartedAt)) {
			oldest = &s.Transactions[i]
		}
	}
	if oldest == nil {
		return monitor.Transaction{}, false
	}
	return *oldest, true
}
