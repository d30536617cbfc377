package rest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// In-flight transactions (ogg-depth.md §4): the Performance Metrics
// Service's GET /services/v2/mpoints/{extract}/currentInflightTransactions
// (23ai), response.currentInflightTransactions[] of xid, extract,
// redoThread, startTime, redoSeq, scn, redoRba, status. No item count.

// inflightNone is the message OGG answers instead of a response when no
// transaction is open ("OGG-25166: No Long Transaction Found"; unverified).
const inflightNone = "OGG-25166"

// ParseInflightTransactions returns the open transactions, oldest first.
// startTime carries no zone ("2024-05-14:07:58:02"): it is read in now's
// location, so pass now in the OGG host's zone. AgeSeconds is now −
// startTime, never negative. A body with no response whose messages say
// OGG-25166 is no open transaction (an empty, non-nil slice).
func ParseInflightTransactions(body []byte, now time.Time) ([]monitor.Transaction, error) {
	const what = "inflight transactions"
	env, err := parseEnvelope(body, what)
	if err != nil {
		return nil, err
	}
	if !hasValue(env.Response) {
		for _, m := range depthMessages(env.Messages) {
			if m.Code == inflightNone {
				return []monitor.Transaction{}, nil
			}
		}
		return nil, noResponse(what, env)
	}
	var resp struct {
		Txns *[]struct {
			XID        any         `json:"xid"`
			Extract    any         `json:"extract"`
			RedoThread depthNumber `json:"redoThread"`
			StartTime  any         `json:"startTime"`
			Status     any         `json:"status"`
			Items      depthNumber `json:"items"`
		} `json:"currentInflightTransactions"`
	}
	if _, err := depthResponse(body, what, &resp); err != nil {
		return nil, err
	}
	if resp.Txns == nil {
		return nil, &monitor.ParseError{What: what, Reason: "response has no currentInflightTransactions"}
	}
	out := make([]monitor.Transaction, 0, len(*resp.Txns))
	for i, t := range *resp.Txns {
		xid := cleanSnippet(str(t.XID), 64)
		if xid == "" {
			return nil, &monitor.ParseError{What: what, Reason: fmt.Sprintf("transaction %d has no xid", i)}
		}
		tx := monitor.Transaction{
			Process: strings.ToUpper(cleanSnippet(str(t.Extract), 64)),
			XID:     xid,
			Items:   t.Items.ptr(),
			Status:  cleanSnippet(str(t.Status), 64),
		}
		if th, ok := t.RedoThread.int(); ok && th > 0 && th < 1<<16 {
			tx.RedoThread = int(th)
		}
		if st, ok := depthTime(str(t.StartTime), now.Location()); ok {
			age := depthAge(now, st)
			tx.StartedAt, tx.AgeSeconds = &st, &age
		}
		out = append(out, tx)
	}
	depthSortTxns(out)
	return out, nil
}

// depthSortTxns orders transactions oldest first; those without a start
// time keep their order, after the others.
func depthSortTxns(ts []monitor.Transaction) {
	slices.SortStableFunc(ts, func(a, b monitor.Transaction) int {
		switch {
		case a.StartedAt == nil && b.StartedAt == nil:
			return 0
		case a.StartedAt == nil:
			return 1
		case b.StartedAt == nil:
			return -1
		}
		return a.StartedAt.Compare(*b.StartedAt)
	})
}
