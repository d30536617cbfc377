package ggsci

import (
	"fmt"
	"io"
	"strings"
)

// Lag states: the last status line of a GETLAG reply.
const (
	LagStateAtEOF      = "AT_EOF"      // "At EOF, no more records to process"
	LagStateProcessing = "PROCESSING"  // "Processing data"
	LagStateWaiting    = "WAITING"     // "Waiting for data to process"
	LagStateNotRunning = "NOT_RUNNING" // "ERROR: REPLICAT REP9 not currently running."
)

// Lag is what LAG EXTRACT / LAG REPLICAT (or SEND …, GETLAG) reported for one
// group. GGSCI computes it from the last record processed, so it is more
// current than the checkpoint lag of INFO ALL.
type Lag struct {
	Program string `json:"program"` // EXTRACT or REPLICAT, upper-case
	Group   string `json:"group"`
	// LagSeconds is "Last record lag"; nil when GGSCI gave none (no records
	// yet, not running, an error).
	LagSeconds   *int64 `json:"lag_seconds"`
	State        string `json:"state"`                    // a LagState constant, "" when none was printed
	NoRecordsYet bool   `json:"no_records_yet,omitempty"` // "No records yet processed."
	// Watermarks (12.3+ parallel and coordinated replicats), as printed; the
	// unit of the watermark lags is not documented.
	LowWatermarkLag       *int64 `json:"low_watermark_lag,omitempty"`
	HighWatermarkLag      *int64 `json:"high_watermark_lag,omitempty"`
	LowWatermarkPosition  *int64 `json:"low_watermark_position,omitempty"`
	HighWatermarkPosition *int64 `json:"high_watermark_position,omitempty"`
	// Messages are OGG-nnnnn message lines printed with the request, such as
	// "OGG-14054  Lag from heartbeat table requires DBLOGIN.".
	Messages []string `json:"messages,omitempty"`
	// Error is GGSCI's ERROR text for this group, without "ERROR:".
	Error string `json:"error,omitempty"`
}

// ParseLag reads the output of one or more LAG EXTRACT / LAG REPLICAT
// commands: both the 11g form ("Last record lag: 10 seconds.") and the
// 12.3+ form without the colon, with watermark lines and OGG-14054 before
// it; thousands separators ("1,234 seconds") are read. An ERROR line naming a
// group ("REPLICAT REP9 not currently running.") becomes that group's entry;
// one inside a reply becomes the reply's Error; any other is a *Error.
// Output with no reply at all is a *ParseError.
func ParseLag(r io.Reader) ([]Lag, error) {
	rep, err := readReply(r, "lag")
	if err != nil {
		return nil, err
	}
	g := newGroupReplies("GETLAG", func(program, group string) Lag {
		return Lag{Program: program, Group: group}
	}, func(l *Lag, msg string) {
		l.Error = msg
		if containsFold(msg, "not currently running") {
			l.State = LagStateNotRunning
		}
	})
	var pending []string // OGG messages seen before the next request
	for l := range rep.lines() {
		if l.trim == "" {
			continue
		}
		before := len(g.out)
		if g.read(rep, l) {
			if !l.isErr && len(g.out) > before { // a new request: it owns the messages before it
				g.current().Messages, pending = pending, nil
			}
			continue
		}
		if isOGGMessage(l.trim) {
			if cur := g.current(); cur != nil {
				cur.Messages = append(cur.Messages, strings.Clone(l.trim))
			} else {
				pending = append(pending, strings.Clone(l.trim))
			}
			continue
		}
		if cur := g.current(); cur != nil {
			if reason := readLagLine(cur, l.trim); reason != "" {
				return nil, rep.parseError(l.n, reason)
			}
		}
	}
	if err := rep.end(len(g.out) > 0, "no GETLAG reply (Sending GETLAG request to …)"); err != nil {
		return nil, err
	}
	return g.out, nil
}

// readLagLine applies one line of a GETLAG reply to l. Lines it does not
// know are ignored; the reason is non-empty for a known line with a bad value.
func readLagLine(l *Lag, t string) string {
	t = strings.TrimSuffix(t, ".")
	num := func(after string, dst **int64) string {
		v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t[len(after):]), ":"))
		n, ok := parseGroupedInt(v)
		if !ok {
			return fmt.Sprintf("bad number in %q", t)
		}
		*dst = &n
		return ""
	}
	switch {
	case hasPrefixFold(t, "Last record lag"):
		v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t[len("Last record lag"):]), ":"))
		n, unit := nextField(v)
		if !hasPrefixFold(strings.TrimSpace(unit), "sec") {
			return fmt.Sprintf("bad lag %q (want N seconds)", t)
		}
		secs, ok := parseGroupedInt(n)
		if !ok {
			return fmt.Sprintf("bad lag %q (want N seconds)", t)
		}
		l.LagSeconds = &secs
	case hasPrefixFold(t, "Low watermark lag"):
		return num("Low watermark lag", &l.LowWatermarkLag)
	case hasPrefixFold(t, "High watermark lag"):
		return num("High watermark lag", &l.HighWatermarkLag)
	case hasPrefixFold(t, "Low watermark position"):
		return num("Low watermark position", &l.LowWatermarkPosition)
	case hasPrefixFold(t, "High watermark position"):
		return num("High watermark position", &l.HighWatermarkPosition)
	case hasPrefixFold(t, "At EOF"):
		l.State = LagStateAtEOF
	case hasPrefixFold(t, "Processing data"):
		l.State = LagStateProcessing
	case hasPrefixFold(t, "Waiting for data"):
		l.State = LagStateWaiting
	case hasPrefixFold(t, "No records yet processed"):
		l.NoRecordsYet = true
	}
	return ""
}
