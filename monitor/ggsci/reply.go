package ggsci

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/syncmon/syncmon/monitor"
)

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
