package ggsci

import (
	"fmt"
	"io"
	"strings"

	"github.com/syncmon/syncmon/monitor"
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
	const what = "lag"
	data, err := ggsciReadOutput(r, what)
	if err != nil {
		return nil, err
	}
	var (
		out     []Lag
		cur     = -1
		pending []string // OGG messages seen before the next request
		gerr    *Error
	)
	lines := ggsciLines{data: data}
	for {
		raw, ok := lines.next()
		if !ok {
			break
		}
		line, prompt := ggsciStripPrompt(raw)
		if prompt {
			cur = -1
		}
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if msg, ok := ggsciErrorText(t); ok {
			switch prog, group, named := ggsciGroupError(msg); {
			case cur >= 0:
				out[cur].Error = strings.Clone(msg)
				if ggsciContainsFold(msg, "not currently running") {
					out[cur].State = LagStateNotRunning
				}
			case named:
				l := Lag{Program: prog, Group: group, Error: strings.Clone(msg)}
				if ggsciContainsFold(msg, "not currently running") {
					l.State = LagStateNotRunning
				}
				out = append(out, l)
			case gerr == nil:
				gerr = &Error{Message: strings.Clone(msg)}
			}
			continue
		}
		if prog, group, ok := ggsciParseSendingRequest(t, "GETLAG"); ok {
			out = append(out, Lag{Program: prog, Group: group, Messages: pending})
			pending, cur = nil, len(out)-1
			continue
		}
		if ggsciIsOGGMessage(t) {
			if cur >= 0 {
				out[cur].Messages = append(out[cur].Messages, strings.Clone(t))
			} else {
				pending = append(pending, strings.Clone(t))
			}
			continue
		}
		if cur < 0 {
			continue
		}
		if reason := ggsciReadLagLine(&out[cur], t); reason != "" {
			return nil, &monitor.ParseError{What: what, Line: lines.n, Reason: reason}
		}
	}
	switch {
	case gerr != nil:
		return nil, gerr
	case len(out) == 0 && strings.TrimSpace(data) == "":
		return nil, &monitor.ParseError{What: what, Reason: "empty output"}
	case len(out) == 0:
		return nil, &monitor.ParseError{What: what, Reason: "no GETLAG reply (Sending GETLAG request to …)"}
	}
	return out, nil
}

// ggsciReadLagLine applies one line of a GETLAG reply to l. Lines it does not
// know are ignored; the reason is non-empty for a known line with a bad value.
func ggsciReadLagLine(l *Lag, t string) string {
	t = strings.TrimSuffix(t, ".")
	num := func(after string, dst **int64) string {
		v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t[len(after):]), ":"))
		n, ok := ggsciParseGroupedInt(v)
		if !ok {
			return fmt.Sprintf("bad number in %q", t)
		}
		*dst = &n
		return ""
	}
	switch {
	case ggsciHasPrefixFold(t, "Last record lag"):
		v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t[len("Last record lag"):]), ":"))
		n, unit := ggsciNextField(v)
		if !ggsciHasPrefixFold(strings.TrimSpace(unit), "sec") {
			return fmt.Sprintf("bad lag %q (want N seconds)", t)
		}
		secs, ok := ggsciParseGroupedInt(n)
		if !ok {
			return fmt.Sprintf("bad lag %q (want N seconds)", t)
		}
		l.LagSeconds = &secs
	case ggsciHasPrefixFold(t, "Low watermark lag"):
		return num("Low watermark lag", &l.LowWatermarkLag)
	case ggsciHasPrefixFold(t, "High watermark lag"):
		return num("High watermark lag", &l.HighWatermarkLag)
	case ggsciHasPrefixFold(t, "Low watermark position"):
		return num("Low watermark position", &l.LowWatermarkPosition)
	case ggsciHasPrefixFold(t, "High watermark position"):
		return num("High watermark position", &l.HighWatermarkPosition)
	case ggsciHasPrefixFold(t, "At EOF"):
		l.State = LagStateAtEOF
	case ggsciHasPrefixFold(t, "Processing data"):
		l.State = LagStateProcessing
	case ggsciHasPrefixFold(t, "Waiting for data"):
		l.State = LagStateWaiting
	case ggsciHasPrefixFold(t, "No records yet processed"):
		l.NoRecordsYet = true
	}
	return ""
}
