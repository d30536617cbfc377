package ggsci

import (
	"fmt"
	"io"
	"strings"

	"github.com/syncmon/syncmon/monitor"
)

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
