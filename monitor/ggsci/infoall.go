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
	rep, err := readReply(r, "info all")
	if err != nil {
		return nil, err
	}
	var (
		layout     infoAllLayout
		haveHeader bool
		inTable    bool
		headerLine int
		rows       []monitor.Process
		loose      []monitor.Process // rows accepted without a header (SET DEBUG ON)
		pool       int64Pool
	)
	for l := range rep.lines() {
		if l.prompt {
			inTable = false // a prompt ends the command's output; l.text is what follows it
		}
		if l.trim == "" {
			if inTable && len(rows) > 0 {
				inTable = false
			}
			continue
		}
		if l.isErr {
			rep.unclaimed(l.errMsg)
			continue
		}
		if lay, ok := parseInfoAllHeader(l.text); ok {
			layout, haveHeader, inTable, headerLine = lay, true, true, l.n
			rows = rows[:0]
			continue
		}
		if !haveHeader {
			if p, ok := parseLooseRow(l.text, &pool); ok {
				loose = append(loose, p)
			}
			continue
		}
		if !inTable || !layout.candidate(l.text) {
			continue // banner, command echo, debug traffic, other commands' output
		}
		p, reason := layout.row(l.text, &pool)
		if reason != "" {
			return nil, rep.parseError(l.n, reason)
		}
		rows = append(rows, p)
	}
	switch {
	case rep.err != nil:
		return nil, rep.err
	case haveHeader && len(rows) == 0:
		return nil, rep.parseError(headerLine, "header without process rows (output cut short?)")
	case haveHeader:
		return rows, nil
	}
	if err := rep.end(len(loose) > 0, "no INFO ALL header (Program  Status  Group  Lag at Chkpt  Time Since Chkpt)"); err != nil {
		return nil, err
	}
	return loose, nil
}

// INFO ALL columns, in header order.
const (
	colProgram = iota
	colStatus
	colGroup
	colType
	colLag
	colTime
	infoAllCols
)

var infoAllHeaderNames = [infoAllCols]string{"Program", "Status", "Group", "Type", "Lag at Chkpt", "Time Since Chkpt"}

// infoAllLayout is where the header put each column: the byte offset of its
// name, -1 for a column the header does not have (Type before 21c).
type infoAllLayout struct {
	start [infoAllCols]int
}

// parseInfoAllHeader recognises the INFO ALL header line and records its
// column offsets. Names are matched in order, case-insensitively, each
// separated from the next by at least one blank; Type is optional.
func parseInfoAllHeader(line string) (infoAllLayout, bool) {
	var l infoAllLayout
	pos := 0 // end of the previous name
	for c := range infoAllCols {
		name := infoAllHeaderNames[c]
		at := pos
		for at < len(line) && line[at] == ' ' {
			at++
		}
		if c > colProgram && at == pos {
			return l, false // names are separated by blanks
		}
		if len(line)-at < len(name) || !strings.EqualFold(line[at:at+len(name)], name) {
			if c == colType {
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
func (l *infoAllLayout) column(off int) int {
	for c := infoAllCols - 1; c > colProgram; c-- {
		if l.start[c] >= 0 && l.start[c] <= off {
			return c
		}
	}
	return colProgram
}

// candidate reports whether line claims to be a process row: it starts with
// an upper-case program word that is either known or followed by a known
// status. Lines that do not (command echoes, REST debug traffic, prose) are
// skipped; lines that do must parse, or the output is unreadable.
func (l *infoAllLayout) candidate(line string) bool {
	first, rest := nextField(line)
	if first == "" || line[0] == ' ' || !isUpperWord(first) {
		return false
	}
	if _, ok := programs[first]; ok {
		return true
	}
	second, _ := nextField(rest)
	_, ok := parseStatus(second)
	return ok
}

// row splits line into columns by where each blank-separated token starts,
// and checks every value. The reason is empty when the row is good.
func (l *infoAllLayout) row(line string, pool *int64Pool) (monitor.Process, string) {
	type span struct{ from, to, n int }
	var cols [infoAllCols]span
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
	if cols[colProgram].n != 1 || !isUpperWord(val(colProgram)) {
		return p, fmt.Sprintf("bad program in row %s", quoteRow(line))
	}
	p.Program = internProgram(val(colProgram))
	status, ok := parseStatus(val(colStatus))
	if cols[colStatus].n != 1 || !ok {
		return p, fmt.Sprintf("bad status in row %s (output cut short?)", quoteRow(line))
	}
	p.Status = status
	switch cols[colGroup].n {
	case 0:
	case 1:
		p.Group = name(val(colGroup))
	default:
		return p, fmt.Sprintf("bad group in row %s", quoteRow(line))
	}
	hasTimes := cols[colLag].n > 0 || cols[colTime].n > 0
	switch {
	case p.Group == "" && groupPrograms[p.Program]:
		return p, fmt.Sprintf("%s row without a group %s (output cut short?)", p.Program, quoteRow(line))
	case p.Group == "" && hasTimes:
		return p, fmt.Sprintf("lag without a group in row %s", quoteRow(line))
	case p.Group != "" && (cols[colLag].n == 0 || cols[colTime].n == 0):
		return p, fmt.Sprintf("row without lag or time since checkpoint %s (output cut short?)", quoteRow(line))
	case p.Group == "":
		return p, ""
	}
	var reason string
	if p.LagSeconds, ok = parseLagToken(val(colLag), pool); !ok {
		reason = "bad lag at checkpoint"
	} else if p.CheckpointAgeSeconds, ok = parseLagToken(val(colTime), pool); !ok {
		reason = "bad time since checkpoint"
	}
	if reason != "" {
		return p, fmt.Sprintf("%s in row %s (want h+:mm:ss)", reason, quoteRow(line))
	}
	return p, ""
}

// parseLooseRow reads a row met without a header, and accepts it only
// when it cannot be anything else: "PROGRAM STATUS" for a known program
// without groups, or "PROGRAM STATUS GROUP h+:mm:ss h+:mm:ss" for EXTRACT and
// REPLICAT.
func parseLooseRow(line string, pool *int64Pool) (monitor.Process, bool) {
	var p monitor.Process
	if line[0] == ' ' {
		return p, false
	}
	f := strings.Fields(line)
	if len(f) != 2 && len(f) != 5 {
		return p, false
	}
	prog, ok := programs[f[0]]
	if !ok || groupPrograms[prog] != (len(f) == 5) {
		return p, false
	}
	status, ok := parseStatus(f[1])
	if !ok {
		return p, false
	}
	p.Program, p.Status = prog, status
	if len(f) == 2 {
		return p, true
	}
	p.Group = name(f[2])
	if p.LagSeconds, ok = parseLagToken(f[3], pool); !ok {
		return p, false
	}
	if p.CheckpointAgeSeconds, ok = parseLagToken(f[4], pool); !ok {
		return p, false
	}
	return p, true
}
