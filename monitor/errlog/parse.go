package errlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// The pure half of the ggserr.log follower: bytes in, LogEntry values out.
// No files, no clock. The formats are those of ogg-facts.md 2.1 and 2.2:
//
//	2016-04-14 22:04:25  ERROR   OGG-01668  Oracle GoldenGate Delivery, res.prm:  PROCESS ABENDING.
//	2021-01-24T17:56:19.533+0330  ERROR   OGG-01668  Oracle GoldenGate Delivery for Oracle, rsh.prm:  PROCESS ABENDING.
//	2011-03-16 00:51:55  ERROR   OGG-01668  PROCESS ABENDING.                      (a .rpt line: no source)
//	2023-05-18T16:57:06.167-0300 ERROR| ERROR OGG-01296 Oracle GoldenGate Delivery, BQU7OSA.prm: Error mapping … (main)
//
// How lines become entries:
//   - A line that starts with a timestamp starts a new entry. When a known
//     severity follows, the entry is read field by field; otherwise it is
//     kept whole as an entry with Severity "" (unreadable, not dropped).
//   - Any other non-blank line continues the entry before it: the 4- and
//     30-space continuation lines OGG writes, and hard-wrapped copies of a
//     long line. Each is trimmed and joined to Message with "\n".
//   - A non-blank line with no entry before it (the start of the input, or
//     right after a Finish) becomes an entry of its own with Severity "".
//   - A continuation line right after a Flush reopens the entry that Flush
//     completed: the entry is returned again, whole, at the next Flush, so
//     an ERROR line opens its alert at once and its continuation lines,
//     written a moment later, update that alert rather than standing alone.
//   - Blank lines carry nothing and are skipped.
//   - A line longer than 64 KiB is cut there, marked " [line truncated]",
//     and the rest of it skipped; an entry whose continuation lines pass
//     256 KiB is marked "[further lines truncated]" and the rest skipped.
//     Memory stays bounded whatever the file holds.
//   - Timestamps without a zone are read as UTC: the zone of the OGG host
//     is unknown, and SyncMon orders entries by position, not time.

// Limits of one line and one entry.
const (
	errLogMaxLine  = 64 << 10
	errLogMaxEntry = 256 << 10
)

// Parser turns ggserr.log bytes, fed as they arrive, into complete
// entries. An entry is complete when the next one starts, or when the
// caller says no more is coming for now (Flush) or at all (Finish). A
// partial last line stays buffered until its newline arrives. The zero
// value is ready to use. It is not safe for concurrent use, nor to copy
// after first use.
type Parser struct {
	buf      []byte            // the current, incomplete line
	skipping bool              // discarding the rest of an over-long line
	pending  *monitor.LogEntry // the entry that may still get continuation lines
	flushed  *monitor.LogEntry // the entry the last Flush completed, reopened by a continuation line
	msg      strings.Builder   // pending's Message, built without copying it per line
	full     bool              // msg reached errLogMaxEntry
	fed      int64             // bytes given to Feed
	lineEnd  int64             // offset just past the last complete line
	consumed int64             // see Consumed
	out      []monitor.LogEntry
}

// Feed parses b, which continues what was fed before, and returns the
// entries it completed.
func (p *Parser) Feed(b []byte) []monitor.LogEntry {
	p.out = nil
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		chunk := b
		if i >= 0 {
			chunk = b[:i]
		}
		switch room := errLogMaxLine - len(p.buf); {
		case p.skipping:
		case len(chunk) > room:
			p.buf = append(p.buf, chunk[:room]...)
			p.line(p.buf, true)
			p.buf = p.buf[:0]
			p.skipping = true
		default:
			p.buf = append(p.buf, chunk...)
		}
		p.fed += int64(len(chunk))
		if i < 0 {
			break
		}
		p.fed++ // the newline
		if !p.skipping {
			p.line(p.buf, false)
		}
		p.skipping = false
		p.buf = p.buf[:0]
		p.lineEnd = p.fed
		if p.pending == nil {
			p.consumed = p.lineEnd
		}
		b = b[i+1:]
	}
	return p.out
}

// Flush completes the entry still open, if any, and returns it. The
// partial last line, if any, stays buffered: it is not a line yet.
func (p *Parser) Flush() []monitor.LogEntry {
	p.out = nil
	p.finishPending()
	if n := len(p.out); n > 0 {
		e := p.out[n-1]
		p.flushed = &e
	}
	p.consumed = p.lineEnd
	if p.skipping {
		// The cut part of an over-long line went out with the entry;
		// its tail will be skipped, so it counts as consumed.
		p.consumed = p.fed
	}
	return p.out
}

// Finish ends the input: a partial last line counts as a line, and every
// entry is complete. The parser can take more input afterwards, as if a
// new file began.
func (p *Parser) Finish() []monitor.LogEntry {
	p.out = nil
	if len(p.buf) > 0 && !p.skipping {
		p.line(p.buf, false)
	}
	p.buf, p.skipping = p.buf[:0], false
	p.lineEnd = p.fed
	p.finishPending()
	p.consumed = p.fed
	p.flushed = nil
	return p.out
}

// Consumed returns how many of the bytes fed so far are accounted for by
// entries already returned (and blank lines between them). Input after it
// (the open entry and a partial line) would be parsed again by a parser
// started at that offset, so it is the offset to store for a restart.
func (p *Parser) Consumed() int64 { return p.consumed }

// Parse reads a whole ggserr.log (or a process log in the pipe
// format) and returns its entries in file order. Unreadable lines are
// entries with Severity "" (see Parser); the error is only ever a
// read error, returned with the entries read before it.
func Parse(r io.Reader) ([]monitor.LogEntry, error) {
	var p Parser
	out := []monitor.LogEntry{}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		out = append(out, p.Feed(buf[:n])...)
		if errors.Is(err, io.EOF) {
			return append(out, p.Finish()...), nil
		}
		if err != nil {
			return append(out, p.Finish()...), fmt.Errorf("ggserr: read: %w", err)
		}
	}
}

func (p *Parser) finishPending() {
	if p.pending != nil {
		p.pending.Message = p.msg.String()
		p.out = append(p.out, *p.pending)
		p.pending, p.full = nil, false
		p.msg = strings.Builder{}
	}
}

// line handles one complete line (without its newline).
func (p *Parser) line(raw []byte, cut bool) {
	start := p.lineEnd
	s := strings.ToValidUTF8(string(raw), "\uFFFD")
	s = strings.TrimRight(s, " \t\r")
	if cut {
		s += " [line truncated]"
	}
	if strings.TrimSpace(s) == "" {
		return
	}
	flushed := p.flushed
	p.flushed = nil
	if e, ok := parseErrLogLine(s); ok {
		p.finishPending()
		p.consumed = start
		p.pending = &e
		p.msg.WriteString(e.Message)
		return
	}
	text := strings.TrimSpace(s)
	if p.pending == nil && flushed != nil && len(flushed.Message) < errLogMaxEntry {
		// Reopened: a restart at start would read this line alone, as
		// before reopening existed, so consumed stays where it is.
		p.consumed = start
		p.pending = flushed
		p.msg.WriteString(flushed.Message)
	}
	if p.pending == nil {
		p.consumed = start
		p.pending = &monitor.LogEntry{}
		p.msg.WriteString(text)
		return
	}
	if p.full {
		return
	}
	if p.msg.Len()+1+len(text) > errLogMaxEntry {
		p.msg.WriteString("\n[further lines truncated]")
		p.full = true
		return
	}
	p.msg.WriteString("\n")
	p.msg.WriteString(text)
}

var (
	errLogStamp = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?(?:[ \t]|$)`)
	errLogCode  = regexp.MustCompile(`^[A-Z]{2,5}-\d{3,6}(?:[ \t]|$)`)
	// threadSuffix is the log4j thread name ending pipe-format lines: " (main) ".
	threadSuffix = regexp.MustCompile(`[ \t]*\([\w.\-]+\)[ \t]*$`)
)

// severities maps the severity words seen in OGG logs to LogEntry's.
var severities = map[string]string{
	"INFO": "INFO", "WARNING": "WARNING", "WARN": "WARNING", "ERROR": "ERROR",
	"FATAL": "ERROR", "SEVERE": "ERROR", "DEBUG": "INFO", "TRACE": "INFO",
}

// parseErrLogLine reads a line that starts an entry. ok is false when the
// line does not start with a timestamp (it continues the previous entry).
func parseErrLogLine(s string) (e monitor.LogEntry, ok bool) {
	m := errLogStamp.FindStringSubmatch(s)
	if m == nil {
		return monitor.LogEntry{}, false
	}
	e.At = parseErrLogTime(m[1], m[2], m[3], m[4])
	rest := strings.TrimLeft(s[len(m[0]):], " \t")

	word, after := leadingWord(rest)
	sev, known := severities[strings.ToUpper(word)]
	if !known || (after != "" && after[0] != ' ' && after[0] != '\t' && after[0] != '|') {
		e.Message = strings.TrimSpace(s) // a timestamp, then something else: kept whole
		return e, true
	}
	rest = strings.TrimLeft(after, " \t")
	pipe := strings.HasPrefix(rest, "|")
	if pipe {
		// "ERROR| ERROR OGG-…": the log4j level, then OGG's own severity.
		rest = strings.TrimLeft(rest[1:], " \t")
		if w2, after2 := leadingWord(rest); w2 != "" && (after2 == "" || after2[0] == ' ' || after2[0] == '\t') {
			if sev2, ok := severities[strings.ToUpper(w2)]; ok {
				sev, rest = sev2, strings.TrimLeft(after2, " \t")
			}
		}
	}
	e.Severity = sev

	if c := errLogCode.FindString(rest); c != "" {
		e.Code = strings.TrimRight(c, " \t")
		rest = strings.TrimLeft(rest[len(c):], " \t")
	}

	text := rest
	if strings.HasPrefix(rest, "Oracle GoldenGate") {
		if i := strings.IndexByte(rest, ':'); i >= 0 && (i+1 == len(rest) || rest[i+1] == ' ' || rest[i+1] == '\t') {
			e.Program, e.Group = parseErrLogSource(rest[:i])
			text = rest[i+1:]
		}
	}
	if pipe {
		text = threadSuffix.ReplaceAllString(text, "")
	}
	e.Message = strings.TrimSpace(text)
	return e, true
}

// leadingWord splits the ASCII letters at the start of s from the rest.
func leadingWord(s string) (word, rest string) {
	i := 0
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z') {
		i++
	}
	return s[:i], s[i:]
}

func parseErrLogTime(date, clock, frac, zone string) time.Time {
	v := date + "T" + clock + frac
	if zone == "" {
		t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", v, time.UTC)
		if err != nil {
			return time.Time{}
		}
		return t
	}
	if zone != "Z" && !strings.Contains(zone, ":") {
		zone = zone[:3] + ":" + zone[3:]
	}
	t, err := time.Parse(time.RFC3339Nano, v+zone)
	if err != nil {
		return time.Time{}
	}
	return t
}

// components maps the "Oracle GoldenGate <Component>" of a source to the
// program name OGG prints elsewhere.
var components = map[string]string{
	"command interpreter":         "GGSCI",
	"manager":                     "MANAGER",
	"capture":                     "EXTRACT",
	"delivery":                    "REPLICAT",
	"collector":                   "COLLECTOR",
	"administration service":      "ADMINSRVR",
	"administration server":       "ADMINSRVR",
	"distribution service":        "DISTSRVR",
	"distribution server":         "DISTSRVR",
	"receiver service":            "RECVSRVR",
	"receiver server":             "RECVSRVR",
	"performance metrics service": "PMSRVR",
	"performance metrics server":  "PMSRVR",
	"service manager":             "SERVICEMANAGER",
	"admin client":                "ADMINCLIENT",
}

// parseErrLogSource reads "Oracle GoldenGate <Component>[ for <DB>][, <group>.prm]".
func parseErrLogSource(src string) (program, group string) {
	s := strings.TrimSpace(strings.TrimPrefix(src, "Oracle GoldenGate"))
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		prm := strings.TrimSpace(s[i+1:])
		if strings.HasSuffix(strings.ToLower(prm), ".prm") {
			prm = path.Base(strings.ReplaceAll(prm, `\`, "/"))
			group = strings.ToUpper(prm[:len(prm)-len(".prm")])
			s = strings.TrimSpace(s[:i])
		}
	}
	if i := strings.Index(s, " for "); i >= 0 {
		s = s[:i]
	}
	program, ok := components[strings.ToLower(s)]
	if !ok {
		program = strings.ToUpper(s)
	}
	if program == "MANAGER" {
		group = "" // mgr.prm names no group; MANAGER rows have none
	}
	program, group = monitor.CleanName(program), monitor.CleanName(group)
	return program, group
}
