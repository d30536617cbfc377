package ggsci

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// This file holds the pure parsers for classic GGSCI and Microservices Admin
// Client output: bytes in, typed values out, no exec and no clock. They accept
// what real sessions look like (see ../shared/research/ogg-facts.md §1, §7):
// a banner or none, prompts with or without a newline after them, the command
// echo or none, blank lines or none, CRLF, rows padded to 62 columns or trimmed.
//
// Errors, for every parser:
//   - output it cannot read (empty, garbage, truncated mid-row, the wrong
//     command's output) is a *ParseError;
//   - an error GGSCI itself printed ("ERROR: …", an ERROR-severity OGG-nnnnn
//     message, or the loader's "error while loading shared libraries") is a
//     *Error, unless the parser can pin it on one group (ParseLag,
//     ParseSendStatus report "REPLICAT REP9 not currently running." as that
//     group's Error);
//   - both match ErrUnreadable with errors.Is, never ErrUnreachable: whether
//     GGSCI could be run at all is the collector's business.
//
// No parser returns an empty result without an error.

// ggsciMaxOutput bounds what the parsers read and what Collector keeps
// of one session. INFO ALL for 250 groups is 16 KB; 4 MiB is far beyond any
// real deployment and small enough that a garbage-spewing host cannot hurt.
const ggsciMaxOutput = 4 << 20

// Error is an error GGSCI (or the Admin Client, or the dynamic loader
// that starts it) printed instead of the requested output: an "ERROR: …" line
// such as "EXTRACT EXTX does not exist.", an ERROR-severity OGG-nnnnn message
// line, or "error while loading shared libraries". It matches ErrUnreadable
// with errors.Is: the target answered, but not with what was asked.
type Error struct {
	Message string // the error text, without the "ERROR:" prefix
}

func (e *Error) Error() string { return "ggsci reported: " + e.Message }

// Is makes errors.Is(err, ErrUnreadable) true for every Error.
func (e *Error) Is(target error) bool { return target == monitor.ErrUnreadable }

// ---------------------------------------------------------------------------
// INFO ALL

// ParseInfoAll reads the output of INFO ALL (classic GGSCI 11.2 to 21c, and
// the Admin Client of 18c to 23ai, with or without its Type column) and
// returns one Process per row, in output order.
//
// Columns are located from the offsets of the header line
// ("Program     Status      Group       Lag at Chkpt  Time Since Chkpt"),
// so rows with only Program and Status (MANAGER, JAGENT, ADMINSRVR …) and
// Type values that contain blanks ("PARALLEL NONINT") read correctly. Lag
// and time since checkpoint are h+:mm:ss, hours unbounded ("653:55:55");
// "UNKNOWN" and "Not Available" give nil. Statuses are upper-cased.
//
// When a session holds several INFO ALL tables, the last one is returned: it
// is the newest state. Output without a header is read only when it holds
// rows that are unambiguous on their own (a known program, a known status and,
// for groups, two h+:mm:ss times): that is how the Admin Client's SET DEBUG ON
// output looks, with its REST traffic between the rows. Anything else without
// a header, a header with no rows after it, or a row cut short is a
// *ParseError; an ERROR line anywhere is a *Error.
func ParseInfoAll(r io.Reader) ([]monitor.Process, error) {
	const what = "info all"
	data, err := ggsciReadOutput(r, what)
	if err != nil {
		return nil, err
	}
	var (
		layout     ggsciInfoAllLayout
		haveHeader bool
		inTable    bool
		headerLine int
		rows       []monitor.Process
		loose      []monitor.Process // rows accepted without a header (SET DEBUG ON)
		gerr       *Error
		pool       ggsciInt64Pool
	)
	lines := ggsciLines{data: data}
	for {
		raw, ok := lines.next()
		if !ok {
			break
		}
		line, prompt := ggsciStripPrompt(raw)
		if prompt {
			inTable = false // a prompt ends the command's output; line is what follows it
		}
		if line == "" {
			if inTable && len(rows) > 0 {
				inTable = false
			}
			continue
		}
		if msg, ok := ggsciErrorText(line); ok {
			if gerr == nil {
				gerr = &Error{Message: strings.Clone(msg)}
			}
			continue
		}
		if l, ok := ggsciParseInfoAllHeader(line); ok {
			layout, haveHeader, inTable, headerLine = l, true, true, lines.n
			rows = rows[:0]
			continue
		}
		if !haveHeader {
			if p, ok := ggsciParseLooseRow(line, &pool); ok {
				loose = append(loose, p)
			}
			continue
		}
		if !inTable || !layout.candidate(line) {
			continue // banner, command echo, debug traffic, other commands' output
		}
		p, reason := layout.row(line, &pool)
		if reason != "" {
			return nil, &monitor.ParseError{What: what, Line: lines.n, Reason: reason}
		}
		rows = append(rows, p)
	}
	switch {
	case gerr != nil:
		return nil, gerr
	case haveHeader && len(rows) == 0:
		return nil, &monitor.ParseError{What: what, Line: headerLine, Reason: "header without process rows (output cut short?)"}
	case haveHeader:
		return rows, nil
	case len(loose) > 0:
		return loose, nil
	case strings.TrimSpace(data) == "":
		return nil, &monitor.ParseError{What: what, Reason: "empty output"}
	default:
		return nil, &monitor.ParseError{What: what, Reason: "no INFO ALL header (Program  Status  Group  Lag at Chkpt  Time Since Chkpt)"}
	}
}

// INFO ALL columns, in header order.
const (
	ggsciColProgram = iota
	ggsciColStatus
	ggsciColGroup
	ggsciColType
	ggsciColLag
	ggsciColTime
	ggsciInfoAllCols
)

var ggsciInfoAllHeaderNames = [ggsciInfoAllCols]string{"Program", "Status", "Group", "Type", "Lag at Chkpt", "Time Since Chkpt"}

// ggsciInfoAllLayout is where the header put each column: the byte offset of its
// name, -1 for a column the header does not have (Type before 21c).
type ggsciInfoAllLayout struct {
	start [ggsciInfoAllCols]int
}

// ggsciParseInfoAllHeader recognises the INFO ALL header line and records its
// column offsets. Names are matched in order, case-insensitively, each
// separated from the next by at least one blank; Type is optional.
func ggsciParseInfoAllHeader(line string) (ggsciInfoAllLayout, bool) {
	var l ggsciInfoAllLayout
	pos := 0 // end of the previous name
	for c := range ggsciInfoAllCols {
		name := ggsciInfoAllHeaderNames[c]
		at := pos
		for at < len(line) && line[at] == ' ' {
			at++
		}
		if c > ggsciColProgram && at == pos {
			return l, false // names are separated by blanks
		}
		if len(line)-at < len(name) || !strings.EqualFold(line[at:at+len(name)], name) {
			if c == ggsciColType {
				l.start[c] = -1 // before 21c there is no Type column
				continue
			}
			return l, false
		}
		l.start[c] = at
		pos = at + len(name)
	}
	return l, pos == len(line)
}

// column returns the column a token starting at byte offset off belongs to:
// the last column that starts at or before it.
func (l *ggsciInfoAllLayout) column(off int) int {
	for c := ggsciInfoAllCols - 1; c > ggsciColProgram; c-- {
		if l.start[c] >= 0 && l.start[c] <= off {
			return c
		}
	}
	return ggsciColProgram
}

// candidate reports whether line claims to be a process row: it starts with
// an upper-case program word that is either known or followed by a known
// status. Lines that do not (command echoes, REST debug traffic, prose) are
// skipped; lines that do must parse, or the output is unreadable.
func (l *ggsciInfoAllLayout) candidate(line string) bool {
	first, rest := ggsciNextField(line)
	if first == "" || line[0] == ' ' || !ggsciIsUpperWord(first) {
		return false
	}
	if _, ok := ggsciPrograms[first]; ok {
		return true
	}
	second, _ := ggsciNextField(rest)
	_, ok := ggsciStatus(second)
	return ok
}

// row splits line into columns by where each blank-separated token starts,
// and checks every value. The reason is empty when the row is good.
func (l *ggsciInfoAllLayout) row(line string, pool *ggsciInt64Pool) (monitor.Process, string) {
	type span struct{ from, to, n int }
	var cols [ggsciInfoAllCols]span
	for i := 0; i < len(line); {
		if line[i] == ' ' || line[i] == '\t' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		s := &cols[l.column(i)]
		if s.n == 0 {
			s.from = i
		}
		s.to, s.n = j, s.n+1
		i = j
	}
	val := func(c int) string { return line[cols[c].from:cols[c].to] }

	var p monitor.Process
	if cols[ggsciColProgram].n != 1 || !ggsciIsUpperWord(val(ggsciColProgram)) {
		return p, fmt.Sprintf("bad program in row %s", ggsciQuoteRow(line))
	}
	p.Program = ggsciInternProgram(val(ggsciColProgram))
	status, ok := ggsciStatus(val(ggsciColStatus))
	if cols[ggsciColStatus].n != 1 || !ok {
		return p, fmt.Sprintf("bad status in row %s (output cut short?)", ggsciQuoteRow(line))
	}
	p.Status = status
	switch cols[ggsciColGroup].n {
	case 0:
	case 1:
		p.Group = strings.Clone(val(ggsciColGroup))
	default:
		return p, fmt.Sprintf("bad group in row %s", ggsciQuoteRow(line))
	}
	hasTimes := cols[ggsciColLag].n > 0 || cols[ggsciColTime].n > 0
	switch {
	case p.Group == "" && ggsciGroupPrograms[p.Program]:
		return p, fmt.Sprintf("%s row without a group %s (output cut short?)", p.Program, ggsciQuoteRow(line))
	case p.Group == "" && hasTimes:
		return p, fmt.Sprintf("lag without a group in row %s", ggsciQuoteRow(line))
	case p.Group != "" && (cols[ggsciColLag].n == 0 || cols[ggsciColTime].n == 0):
		return p, fmt.Sprintf("row without lag or time since checkpoint %s (output cut short?)", ggsciQuoteRow(line))
	case p.Group == "":
		return p, ""
	}
	var reason string
	if p.LagSeconds, ok = ggsciParseLagToken(val(ggsciColLag), pool); !ok {
		reason = "bad lag at checkpoint"
	} else if p.CheckpointAgeSeconds, ok = ggsciParseLagToken(val(ggsciColTime), pool); !ok {
		reason = "bad time since checkpoint"
	}
	if reason != "" {
		return p, fmt.Sprintf("%s in row %s (want h+:mm:ss)", reason, ggsciQuoteRow(line))
	}
	return p, ""
}

// ggsciParseLooseRow reads a row met without a header, and accepts it only
// when it cannot be anything else: "PROGRAM STATUS" for a known program
// without groups, or "PROGRAM STATUS GROUP h+:mm:ss h+:mm:ss" for EXTRACT and
// REPLICAT.
func ggsciParseLooseRow(line string, pool *ggsciInt64Pool) (monitor.Process, bool) {
	var p monitor.Process
	if line[0] == ' ' {
		return p, false
	}
	f := strings.Fields(line)
	if len(f) != 2 && len(f) != 5 {
		return p, false
	}
	prog, ok := ggsciPrograms[f[0]]
	if !ok || ggsciGroupPrograms[prog] != (len(f) == 5) {
		return p, false
	}
	status, ok := ggsciStatus(f[1])
	if !ok {
		return p, false
	}
	p.Program, p.Status = prog, status
	if len(f) == 2 {
		return p, true
	}
	p.Group = strings.Clone(f[2])
	if p.LagSeconds, ok = ggsciParseLagToken(f[3], pool); !ok {
		return p, false
	}
	if p.CheckpointAgeSeconds, ok = ggsciParseLagToken(f[4], pool); !ok {
		return p, false
	}
	return p, true
}

// ggsciPrograms are the Program values OGG prints, interned so that rows do
// not keep the whole output alive. ADMINSRV is how some Admin Client builds
// abbreviate ADMINSRVR (the Zabbix script accepts both).
var ggsciPrograms = map[string]string{
	"MANAGER": "MANAGER", "EXTRACT": "EXTRACT", "REPLICAT": "REPLICAT",
	"JAGENT": "JAGENT", "PMSRVR": "PMSRVR", "ADMINSRVR": "ADMINSRVR", "ADMINSRV": "ADMINSRV",
	"DISTSRVR": "DISTSRVR", "RECVSRVR": "RECVSRVR",
}

// ggsciGroupPrograms are the programs that always have a group, lag and time.
var ggsciGroupPrograms = map[string]bool{"EXTRACT": true, "REPLICAT": true}

func ggsciInternProgram(s string) string {
	if p, ok := ggsciPrograms[s]; ok {
		return p
	}
	return strings.Clone(s)
}

// ggsciStatus maps a status as printed, in any case, to a Status constant.
func ggsciStatus(s string) (string, bool) {
	for _, st := range [...]string{monitor.StatusRunning, monitor.StatusStopped, monitor.StatusAbended, monitor.StatusStarting, monitor.StatusKilled, monitor.StatusUnknown} {
		if strings.EqualFold(s, st) {
			return st, true
		}
	}
	return "", false
}

// ggsciParseLagToken reads a lag or time-since-checkpoint value: h+:mm:ss gives
// seconds; UNKNOWN, Not Available and N/A give nil.
func ggsciParseLagToken(s string, pool *ggsciInt64Pool) (*int64, bool) {
	if s == "" {
		return nil, false
	}
	if strings.EqualFold(s, "UNKNOWN") || strings.EqualFold(s, "Not Available") || strings.EqualFold(s, "N/A") {
		return nil, true
	}
	n, ok := ggsciParseDuration(s)
	if !ok {
		return nil, false
	}
	return pool.new(n), true
}

// ggsciParseDuration reads GGSCI's h+:mm:ss, whose hours run past 24
// ("653:55:55") and are therefore not a time of day.
func ggsciParseDuration(s string) (int64, bool) {
	c := strings.IndexByte(s, ':')
	if c < 1 || c > 9 || len(s) != c+6 || s[c+3] != ':' {
		return 0, false
	}
	h, ok1 := ggsciParseDigits(s[:c])
	m, ok2 := ggsciParseDigits(s[c+1 : c+3])
	sec, ok3 := ggsciParseDigits(s[c+4:])
	if !ok1 || !ok2 || !ok3 || m >= 60 || sec >= 60 {
		return 0, false
	}
	return h*3600 + m*60 + sec, true
}

// ggsciParseDigits reads a run of at most 18 ASCII digits (no sign, no blanks).
func ggsciParseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// ggsciParseGroupedInt reads an integer that may carry thousands separators
// ("1,234") and a final period ("67.").
func ggsciParseGroupedInt(s string) (int64, bool) {
	s = strings.TrimSuffix(s, ".")
	if strings.IndexByte(s, ',') >= 0 {
		s = strings.ReplaceAll(s, ",", "")
	}
	return ggsciParseDigits(s)
}

// ggsciInt64Pool hands out *int64 from shared blocks, so that a 250-row table
// costs a few allocations instead of 500.
type ggsciInt64Pool struct{ block []int64 }

func (p *ggsciInt64Pool) new(v int64) *int64 {
	if len(p.block) == 0 {
		p.block = make([]int64, 64)
	}
	x := &p.block[0]
	*x = v
	p.block = p.block[1:]
	return x
}

// ---------------------------------------------------------------------------
// LAG EXTRACT / LAG REPLICAT

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

// ---------------------------------------------------------------------------
// SEND EXTRACT / REPLICAT …, STATUS

// SendStatus is what SEND EXTRACT|REPLICAT group, STATUS reported.
type SendStatus struct {
	Program   string `json:"program"`
	Group     string `json:"group"`
	ProcessID *int   `json:"process_id"`
	// Status is "Current status" as printed: "Recovery complete: At EOF",
	// "In recovery[1]: Processing data with empty data queue", "At EOF".
	Status     string `json:"status"`
	InRecovery bool   `json:"in_recovery"` // Status starts with "In recovery"
	Error      string `json:"error,omitempty"`
}

// ParseSendStatus reads the output of one or more SEND …, STATUS commands.
// Errors are handled as in ParseLag. The line layout was composed from the
// documented status phrases and is not verified against a live system.
func ParseSendStatus(r io.Reader) ([]SendStatus, error) {
	const what = "send status"
	data, err := ggsciReadOutput(r, what)
	if err != nil {
		return nil, err
	}
	var (
		out  []SendStatus
		cur  = -1
		gerr *Error
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
			case named:
				out = append(out, SendStatus{Program: prog, Group: group, Error: strings.Clone(msg)})
			case gerr == nil:
				gerr = &Error{Message: strings.Clone(msg)}
			}
			continue
		}
		if prog, group, ok := ggsciParseSendingRequest(t, "STATUS"); ok {
			out = append(out, SendStatus{Program: prog, Group: group})
			cur = len(out) - 1
			continue
		}
		if cur < 0 {
			continue
		}
		s := &out[cur]
		switch {
		case ggsciHasPrefixFold(t, "Current status:"):
			s.Status = strings.Clone(strings.TrimSpace(t[len("Current status:"):]))
			s.InRecovery = ggsciHasPrefixFold(s.Status, "In recovery")
		case ggsciHasPrefixFold(t, s.Program+" "+s.Group+" (PID "):
			// "EXTRACT EXT1 (PID 20112)"
			v := strings.TrimSuffix(t[len(s.Program+" "+s.Group+" (PID "):], ")")
			pid, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return nil, &monitor.ParseError{What: what, Line: lines.n, Reason: fmt.Sprintf("bad process id in %q", t)}
			}
			s.ProcessID = &pid
		}
	}
	switch {
	case gerr != nil:
		return nil, gerr
	case len(out) == 0 && strings.TrimSpace(data) == "":
		return nil, &monitor.ParseError{What: what, Reason: "empty output"}
	case len(out) == 0:
		return nil, &monitor.ParseError{What: what, Reason: "no STATUS reply (Sending STATUS request to …)"}
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// INFO EXTRACT / INFO REPLICAT [, DETAIL]

// ProcessDetail is what INFO EXTRACT or INFO REPLICAT [, DETAIL | TASKS]
// reported for one group. Times are the OGG host's wall clock as printed;
// GGSCI prints no zone, so they carry UTC and must not be compared with
// SyncMon's clock.
type ProcessDetail struct {
	Program string `json:"program"` // EXTRACT or REPLICAT
	Group   string `json:"group"`
	Status  string `json:"status"` // a Status constant
	// LastStarted is "Last Started"; nil for a group that was never started.
	LastStarted *time.Time `json:"last_started"`
	// Initialized is when a never-started group was added ("Initialized").
	Initialized *time.Time `json:"initialized,omitempty"`
	Integrated  bool       `json:"integrated,omitempty"` // the bare INTEGRATED line of an integrated replicat
	// LagSeconds is "Checkpoint Lag"; nil for "Not Available" or UNKNOWN.
	LagSeconds *int64 `json:"lag_seconds"`
	// CheckpointAgeSeconds is the "(updated h:mm:ss ago)" after the lag.
	CheckpointAgeSeconds *int64             `json:"checkpoint_age_seconds"`
	ProcessID            *int               `json:"process_id"` // nil when not running
	LogRead              *LogReadCheckpoint `json:"log_read_checkpoint,omitempty"`
	Task                 string             `json:"task,omitempty"` // SOURCEISTABLE, SPECIALRUN … for tasks
	Trails               []ExtractTrail     `json:"trails,omitempty"`
	Files                *DetailFiles       `json:"files,omitempty"`
}

// LogReadCheckpoint is a "Log Read Checkpoint": where the group reads from and how
// far it got. Fields that the output does not print are left empty.
type LogReadCheckpoint struct {
	// Source is the first line as printed: "Oracle Integrated Redo Logs",
	// "Oracle Redo Logs", "File /u01/ogg/dirdat/oe000000",
	// "Table ORCL.TC.DIRECT_LOAD" or "Not Available".
	Source      string     `json:"source"`
	At          *time.Time `json:"at,omitempty"` // timestamp of the checkpoint, host wall clock
	Seqno       *int64     `json:"seqno,omitempty"`
	RBA         *int64     `json:"rba,omitempty"`
	Record      *int64     `json:"record,omitempty"`
	FirstRecord bool       `json:"first_record,omitempty"` // "First Record  RBA 0": nothing read yet
	SCN         string     `json:"scn,omitempty"`          // as printed: "0.1380378 (1380378)"
}

// ExtractTrail is one row of the "Target Extract Trails" table of INFO EXTRACT, DETAIL.
type ExtractTrail struct {
	Name  string `json:"name"`
	Seqno int64  `json:"seqno"`
	RBA   int64  `json:"rba"`
	MaxMB int64  `json:"max_mb"`
	Type  string `json:"type,omitempty"` // EXTTRAIL, RMTTRAIL …
}

// DetailFiles are the file locations INFO …, DETAIL lists. A value GGSCI
// printed without text ("Process file" alone) is empty.
type DetailFiles struct {
	CurrentDirectory string `json:"current_directory,omitempty"`
	ReportFile       string `json:"report_file,omitempty"`
	ParameterFile    string `json:"parameter_file,omitempty"`
	CheckpointFile   string `json:"checkpoint_file,omitempty"`
	ProcessFile      string `json:"process_file,omitempty"`
	ErrorLog         string `json:"error_log,omitempty"`
}

// ParseInfoDetail reads the output of INFO EXTRACT / INFO REPLICAT [, DETAIL]
// for one group. When the output holds several replies for that group (the
// same command run twice), the last one is returned; replies for different
// groups are a *ParseError (use ParseInfoDetails).
func ParseInfoDetail(r io.Reader) (ProcessDetail, error) {
	ds, err := ParseInfoDetails(r)
	if err != nil {
		return ProcessDetail{}, err
	}
	last := ds[len(ds)-1]
	for _, d := range ds {
		if d.Program != last.Program || d.Group != last.Group {
			return ProcessDetail{}, &monitor.ParseError{What: "info detail", Reason: fmt.Sprintf("output describes several groups (%s %s, %s %s …)", d.Program, d.Group, last.Program, last.Group)}
		}
	}
	return last, nil
}

// ParseInfoDetails reads the output of one or more INFO EXTRACT / INFO
// REPLICAT commands (also with wildcards, DETAIL or TASKS) and returns one
// ProcessDetail per reply, in output order. Lines it does not know are
// skipped; a known line with a bad value is a *ParseError, and so is output
// without a single "EXTRACT|REPLICAT group … Status X" line. An ERROR line is
// a *Error.
func ParseInfoDetails(r io.Reader) ([]ProcessDetail, error) {
	const what = "info detail"
	data, err := ggsciReadOutput(r, what)
	if err != nil {
		return nil, err
	}
	const (
		modeNone = iota
		modeLogRead
		modeTrails
	)
	var (
		out  []ProcessDetail
		cur  = -1
		mode = modeNone
		gerr *Error
	)
	lines := ggsciLines{data: data}
	for {
		raw, ok := lines.next()
		if !ok {
			break
		}
		line, prompt := ggsciStripPrompt(raw)
		if prompt {
			cur, mode = -1, modeNone
		}
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if msg, ok := ggsciErrorText(t); ok {
			if gerr == nil {
				gerr = &Error{Message: strings.Clone(msg)}
			}
			continue
		}
		if d, ok, reason := ggsciParseDetailHeader(t); ok || reason != "" {
			if reason != "" {
				return nil, &monitor.ParseError{What: what, Line: lines.n, Reason: reason}
			}
			out = append(out, d)
			cur, mode = len(out)-1, modeNone
			continue
		}
		if cur < 0 {
			continue
		}
		d := &out[cur]
		if line[0] == ' ' { // continuation or indented section
			switch {
			case strings.EqualFold(t, "Target Extract Trails:"):
				mode = modeTrails
			case mode == modeLogRead:
				ggsciReadCheckpointLine(d.LogRead, t)
			case mode == modeTrails:
				if tr, ok := ggsciParseTrailRow(t); ok {
					d.Trails = append(d.Trails, tr)
				} else if !ggsciHasPrefixFold(t, "Trail Name") {
					mode = modeNone
				}
			}
			continue
		}
		mode = modeNone
		label, value := ggsciSplitDetailLabel(t)
		var reason string
		switch label {
		case "INTEGRATED":
			d.Integrated = true
		case "Checkpoint Lag":
			var ok bool
			if d.LagSeconds, d.CheckpointAgeSeconds, ok = ggsciParseCheckpointLag(value); !ok {
				reason = fmt.Sprintf("bad checkpoint lag %q", value)
			}
		case "Process ID":
			pid, err := strconv.Atoi(value)
			if err != nil || pid < 0 {
				reason = fmt.Sprintf("bad process id %q", value)
			} else {
				d.ProcessID = &pid
			}
		case "Log Read Checkpoint":
			d.LogRead = &LogReadCheckpoint{Source: strings.Clone(value)}
			mode = modeLogRead
		case "Task":
			d.Task = strings.Clone(value)
		case "Current directory", "Report file", "Parameter file", "Checkpoint file", "Process file", "Error log":
			if d.Files == nil {
				d.Files = &DetailFiles{}
			}
			*d.Files.field(label) = strings.Clone(value)
		}
		if reason != "" {
			return nil, &monitor.ParseError{What: what, Line: lines.n, Reason: reason}
		}
	}
	switch {
	case gerr != nil:
		return nil, gerr
	case len(out) == 0 && strings.TrimSpace(data) == "":
		return nil, &monitor.ParseError{What: what, Reason: "empty output"}
	case len(out) == 0:
		return nil, &monitor.ParseError{What: what, Reason: "no EXTRACT/REPLICAT status line (EXTRACT  GROUP  Last Started …  Status …)"}
	}
	return out, nil
}

// ggsciDetailLabels are the labels INFO … [, DETAIL] prints at column 0.
var ggsciDetailLabels = [...]string{
	"Checkpoint Lag", "Process ID", "Log Read Checkpoint", "Task",
	"Current directory", "Report file", "Parameter file", "Checkpoint file", "Process file", "Error log",
}

// ggsciSplitDetailLabel returns the known label line starts with and the value
// after it, or ("INTEGRATED", "") for the bare INTEGRATED line, or ("", "").
func ggsciSplitDetailLabel(t string) (label, value string) {
	if strings.EqualFold(t, "INTEGRATED") {
		return "INTEGRATED", ""
	}
	for _, l := range ggsciDetailLabels {
		if strings.HasPrefix(t, l) && (len(t) == len(l) || t[len(l)] == ' ') {
			return l, strings.TrimSpace(t[len(l):])
		}
	}
	return "", ""
}

func (f *DetailFiles) field(label string) *string {
	switch label {
	case "Current directory":
		return &f.CurrentDirectory
	case "Report file":
		return &f.ReportFile
	case "Parameter file":
		return &f.ParameterFile
	case "Checkpoint file":
		return &f.CheckpointFile
	case "Process file":
		return &f.ProcessFile
	default:
		return &f.ErrorLog
	}
}

// ggsciParseDetailHeader reads "EXTRACT    E_PROD    Last Started 2025-02-18 20:12   Status RUNNING"
// or "… Initialized   2025-02-18 19:36   Status STOPPED". ok is false for any
// other line; reason is set for a line that is such a header with a bad status.
func ggsciParseDetailHeader(t string) (d ProcessDetail, ok bool, reason string) {
	if !strings.HasPrefix(t, "EXTRACT ") && !strings.HasPrefix(t, "REPLICAT ") {
		return d, false, ""
	}
	f := strings.Fields(t)
	if len(f) < 4 || f[len(f)-2] != "Status" {
		return d, false, ""
	}
	status, sok := ggsciStatus(f[len(f)-1])
	if !sok {
		return d, false, fmt.Sprintf("bad status %q in %q", f[len(f)-1], t)
	}
	d.Program = ggsciPrograms[f[0]]
	d.Group = strings.Clone(f[1])
	d.Status = status
	mid := f[2 : len(f)-2]
	var at **time.Time
	switch {
	case len(mid) == 4 && mid[0] == "Last" && mid[1] == "Started":
		at, mid = &d.LastStarted, mid[2:]
	case len(mid) == 3 && mid[0] == "Initialized":
		at, mid = &d.Initialized, mid[1:]
	}
	if at != nil {
		if ts, err := time.Parse("2006-01-02 15:04", mid[0]+" "+mid[1]); err == nil {
			*at = &ts
		}
	}
	return d, true, ""
}

// ggsciParseCheckpointLag reads "00:03:22 (updated 00:00:06 ago)", "Not Available"
// or "UNKNOWN", with or without the "(updated … ago)" part.
func ggsciParseCheckpointLag(v string) (lag, age *int64, ok bool) {
	var pool ggsciInt64Pool
	head, rest := v, ""
	if i := strings.IndexByte(v, '('); i >= 0 {
		head, rest = strings.TrimSpace(v[:i]), v[i:]
	}
	if lag, ok = ggsciParseLagToken(head, &pool); !ok {
		return nil, nil, false
	}
	if rest == "" {
		return lag, nil, true
	}
	in, found := strings.CutPrefix(rest, "(updated ")
	in, found2 := strings.CutSuffix(in, " ago)")
	if !found || !found2 {
		return nil, nil, false
	}
	if age, ok = ggsciParseLagToken(strings.TrimSpace(in), &pool); !ok {
		return nil, nil, false
	}
	return lag, age, true
}

// ggsciReadCheckpointLine applies one continuation line of a Log Read Checkpoint:
// "2016-04-29 17:16:35  Seqno 89, RBA 18970624", "SCN 0.1380378 (1380378)",
// "First Record  RBA 0", "2016-09-01 08:55:27  Record 1". Unknown parts are
// ignored: the checkpoint is informational.
func ggsciReadCheckpointLine(c *LogReadCheckpoint, t string) {
	if ggsciHasPrefixFold(t, "SCN ") {
		c.SCN = strings.Clone(strings.TrimSpace(t[4:]))
		return
	}
	if len(t) >= 19 && t[4] == '-' && t[7] == '-' && t[10] == ' ' {
		end := strings.IndexByte(t[11:], ' ')
		if end < 0 {
			end = len(t)
		} else {
			end += 11
		}
		if ts, err := time.Parse("2006-01-02 15:04:05.999999999", t[:end]); err == nil {
			c.At = &ts
			t = t[end:]
		}
	}
	f := strings.Fields(strings.ReplaceAll(t, ",", " "))
	for i := 0; i < len(f); i++ {
		var dst **int64
		switch f[i] {
		case "First":
			if i+1 < len(f) && f[i+1] == "Record" {
				c.FirstRecord = true
				i++
			}
			continue
		case "Seqno":
			dst = &c.Seqno
		case "RBA":
			dst = &c.RBA
		case "Record":
			dst = &c.Record
		default:
			continue
		}
		if i+1 < len(f) {
			if n, ok := ggsciParseDigits(f[i+1]); ok {
				*dst = &n
				i++
			}
		}
	}
}

// ggsciParseTrailRow reads "./dirdat/aa   0   1289   500 EXTTRAIL".
func ggsciParseTrailRow(t string) (ExtractTrail, bool) {
	f := strings.Fields(t)
	if len(f) < 4 {
		return ExtractTrail{}, false
	}
	var tr ExtractTrail
	var ok1, ok2, ok3 bool
	tr.Seqno, ok1 = ggsciParseGroupedInt(f[1])
	tr.RBA, ok2 = ggsciParseGroupedInt(f[2])
	tr.MaxMB, ok3 = ggsciParseGroupedInt(f[3])
	if !ok1 || !ok2 || !ok3 {
		return ExtractTrail{}, false
	}
	tr.Name = strings.Clone(f[0])
	if len(f) > 4 {
		tr.Type = strings.Clone(strings.Join(f[4:], " "))
	}
	return tr, true
}

// ---------------------------------------------------------------------------
// INFO MGR

// ManagerInfo is what INFO MGR (INFO MANAGER) reported.
type ManagerInfo struct {
	Status    string `json:"status"`         // StatusRunning, or StatusStopped for "Manager is DOWN!"
	Host      string `json:"host,omitempty"` // as printed, without a "TCP:" prefix
	Port      int    `json:"port,omitempty"`
	ProcessID *int   `json:"process_id"` // nil when not printed (before 12.2) or not running
}

// ParseInfoMgr reads the output of INFO MGR: "Manager is running (IP port
// ogg1.7809)." (no process id before 12.2), "… (IP port TCP:hol.7810,
// Process ID 1935).", and "Manager is DOWN!". The port is what follows the
// last '.' of host.port. When a session holds several answers the last one
// is returned. No answer is a *ParseError; an ERROR line a *Error.
func ParseInfoMgr(r io.Reader) (ManagerInfo, error) {
	const what = "info mgr"
	data, err := ggsciReadOutput(r, what)
	if err != nil {
		return ManagerInfo{}, err
	}
	var (
		m     ManagerInfo
		found bool
		gerr  *Error
	)
	lines := ggsciLines{data: data}
	for {
		raw, ok := lines.next()
		if !ok {
			break
		}
		line, _ := ggsciStripPrompt(raw)
		t := strings.TrimSpace(line)
		if msg, ok := ggsciErrorText(t); ok {
			if gerr == nil {
				gerr = &Error{Message: strings.Clone(msg)}
			}
			continue
		}
		rest, ok := ggsciCutPrefixFold(t, "Manager is ")
		if !ok {
			continue
		}
		switch {
		case ggsciHasPrefixFold(rest, "running"):
			mi, reason := ggsciParseManagerRunning(rest[len("running"):])
			if reason != "" {
				return ManagerInfo{}, &monitor.ParseError{What: what, Line: lines.n, Reason: reason}
			}
			m, found = mi, true
		case ggsciHasPrefixFold(rest, "down"), ggsciHasPrefixFold(rest, "not running"), ggsciHasPrefixFold(rest, "stopped"):
			m, found = ManagerInfo{Status: monitor.StatusStopped}, true
		}
	}
	switch {
	case gerr != nil:
		return ManagerInfo{}, gerr
	case !found && strings.TrimSpace(data) == "":
		return ManagerInfo{}, &monitor.ParseError{What: what, Reason: "empty output"}
	case !found:
		return ManagerInfo{}, &monitor.ParseError{What: what, Reason: `no "Manager is …" line`}
	}
	return m, nil
}

// ggsciParseManagerRunning reads " (IP port TCP:hol.7810, Process ID 1935)." .
func ggsciParseManagerRunning(s string) (ManagerInfo, string) {
	m := ManagerInfo{Status: monitor.StatusRunning}
	s = strings.TrimSpace(s)
	if s == "" || s == "." {
		return m, ""
	}
	in, ok := strings.CutPrefix(s, "(")
	end := strings.LastIndexByte(in, ')')
	if !ok || end < 0 {
		return m, fmt.Sprintf("bad manager line %q", s)
	}
	for part := range strings.SplitSeq(in[:end], ",") {
		part = strings.TrimSpace(part)
		switch {
		case ggsciHasPrefixFold(part, "IP port "):
			hp := strings.TrimSpace(part[len("IP port "):])
			if i := strings.IndexByte(hp, ':'); i >= 0 && i <= 4 && ggsciIsUpperWord(strings.ToUpper(hp[:i])) {
				hp = hp[i+1:] // "TCP:hol.7810"
			}
			dot := strings.LastIndexByte(hp, '.')
			port, err := strconv.Atoi(hp[dot+1:])
			if dot < 0 || err != nil || port <= 0 || port > 65535 {
				return m, fmt.Sprintf("bad manager port in %q", part)
			}
			m.Host, m.Port = strings.Clone(hp[:dot]), port
		case ggsciHasPrefixFold(part, "Process ID "):
			pid, err := strconv.Atoi(strings.TrimSpace(part[len("Process ID "):]))
			if err != nil || pid < 0 {
				return m, fmt.Sprintf("bad manager process id in %q", part)
			}
			m.ProcessID = &pid
		}
	}
	return m, ""
}

// ---------------------------------------------------------------------------
// Shared helpers

// ggsciReadOutput reads at most ggsciMaxOutput bytes of r.
func ggsciReadOutput(r io.Reader, what string) (string, error) {
	var b strings.Builder
	if l, ok := r.(interface{ Len() int }); ok && l.Len() <= ggsciMaxOutput {
		b.Grow(l.Len())
	}
	n, err := io.Copy(&b, io.LimitReader(r, ggsciMaxOutput+1))
	if err != nil {
		return "", fmt.Errorf("read %s output: %w", what, err)
	}
	if n > ggsciMaxOutput {
		return "", &monitor.ParseError{What: what, Reason: fmt.Sprintf("output larger than %d bytes", ggsciMaxOutput)}
	}
	return b.String(), nil
}

// ggsciLines iterates over the lines of an output, without their line end
// (LF or CRLF) and trailing blanks, counting them from 1.
type ggsciLines struct {
	data string
	pos  int
	n    int
}

func (l *ggsciLines) next() (string, bool) {
	if l.pos >= len(l.data) {
		return "", false
	}
	rest := l.data[l.pos:]
	line := rest
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		line = rest[:i]
		l.pos += i + 1
	} else {
		l.pos = len(l.data)
	}
	l.n++
	return strings.TrimRight(line, " \t\r"), true
}

// ggsciStripPrompt removes a leading prompt: "GGSCI (host) 1> ",
// "GGSCI (host as C##OGG@DB/CDB$ROOT) 13> ", "GGSCI> ", "GGSCI (host) > ",
// "OGG (http://localhost:16000 Atlanta) 4> ", "OGG (not connected) 1> ".
// When commands come on stdin GGSCI echoes nothing, so the command's output
// may follow the prompt on the same line; rest is that output (or the echoed
// command). prompt reports whether there was one.
func ggsciStripPrompt(line string) (rest string, prompt bool) {
	var s string
	switch {
	case strings.HasPrefix(line, "GGSCI"):
		s = line[len("GGSCI"):]
	case strings.HasPrefix(line, "OGG"):
		s = line[len("OGG"):]
	default:
		return line, false
	}
	s = strings.TrimLeft(s, " ")
	if strings.HasPrefix(s, "(") {
		i := strings.IndexByte(s, ')')
		if i < 0 {
			return line, false
		}
		s = strings.TrimLeft(s[i+1:], " ")
	}
	s = strings.TrimLeft(s, "0123456789")
	s = strings.TrimLeft(s, " ")
	if !strings.HasPrefix(s, ">") {
		return line, false
	}
	return strings.TrimPrefix(s[1:], " "), true
}

// ggsciErrorText recognises an error GGSCI printed and returns its text:
// "ERROR: …", a timestamped ERROR-severity OGG-nnnnn message, or a loader
// failure. The line may be indented.
func ggsciErrorText(line string) (string, bool) {
	t := strings.TrimLeft(line, " ")
	if msg, ok := strings.CutPrefix(t, "ERROR:"); ok {
		return strings.TrimSpace(msg), true
	}
	if strings.Contains(t, "error while loading shared libraries") {
		return t, true
	}
	// "2018-08-17 23:02:49  ERROR   OGG-01234  text"
	if len(t) > 20 && t[4] == '-' && t[10] == ' ' {
		_, rest := ggsciNextField(t)
		_, rest = ggsciNextField(rest)
		sev, rest := ggsciNextField(rest)
		if sev == "ERROR" && strings.HasPrefix(strings.TrimLeft(rest, " "), "OGG-") {
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}

// ggsciGroupError reports the group an error message names:
// "EXTRACT EXTX does not exist." → EXTRACT, EXTX.
func ggsciGroupError(msg string) (program, group string, ok bool) {
	prog, rest := ggsciNextField(msg)
	group, _ = ggsciNextField(rest)
	group = strings.TrimRight(group, ",.:;")
	p := strings.ToUpper(prog)
	if !ggsciGroupPrograms[p] || group == "" {
		return "", "", false
	}
	return ggsciPrograms[p], strings.Clone(group), true
}

// ggsciParseSendingRequest reads "Sending GETLAG request to EXTRACT LHREMD2 ..."
// and the 21c form "Sending STATS request to Replicat group RORPSQL ...".
func ggsciParseSendingRequest(t, verb string) (program, group string, ok bool) {
	rest, ok := ggsciCutPrefixFold(t, "Sending ")
	if !ok {
		return "", "", false
	}
	if rest, ok = ggsciCutPrefixFold(rest, verb); !ok {
		return "", "", false
	}
	if rest, ok = ggsciCutPrefixFold(rest, " request to "); !ok {
		return "", "", false
	}
	prog, rest := ggsciNextField(rest)
	group, rest = ggsciNextField(rest)
	if strings.EqualFold(group, "group") {
		group, _ = ggsciNextField(rest)
	}
	if prog == "" || group == "" || group == "..." {
		return "", "", false
	}
	return ggsciInternProgram(strings.ToUpper(prog)), strings.Clone(group), true
}

// ggsciIsOGGMessage reports whether t carries an OGG-nnnnn message code.
func ggsciIsOGGMessage(t string) bool {
	i := strings.Index(t, "OGG-")
	if i < 0 || len(t) < i+9 {
		return false
	}
	_, ok := ggsciParseDigits(t[i+4 : i+9])
	return ok
}

// ggsciNextField returns the first blank-separated field of s and what follows it.
func ggsciNextField(s string) (field, rest string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	j := i
	for j < len(s) && s[j] != ' ' && s[j] != '\t' {
		j++
	}
	return s[i:j], s[j:]
}

// ggsciIsUpperWord reports whether s is an upper-case identifier: A-Z first, then
// A-Z, 0-9 or '_'.
func ggsciIsUpperWord(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func ggsciHasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func ggsciCutPrefixFold(s, prefix string) (string, bool) {
	if !ggsciHasPrefixFold(s, prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

func ggsciContainsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// ggsciQuoteRow quotes a row for an error message, cut to 80 bytes.
func ggsciQuoteRow(line string) string {
	if len(line) > 80 {
		line = line[:80] + "…"
	}
	return strconv.Quote(line)
}
