package ggsci

import (
	"bytes"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/syncmon/syncmon/monitor"
)

// maxOutput bounds what the parsers read and what Collector keeps
// of one session. INFO ALL for 250 groups is 16 KB; 4 MiB is far beyond any
// real deployment and small enough that a garbage-spewing host cannot hurt.
const maxOutput = 4 << 20

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

// reply is one GGSCI session's output as a parser reads it. Every parser
// walks it with lines, which takes care of what all GGSCI output shares:
// line ends (LF or CRLF), prompts, and the error lines GGSCI prints.
type reply struct {
	what string // the command, for error messages: "info all", "lag" …
	data string
	err  *Error // the first error line no parser claimed
}

// readReply reads at most maxOutput bytes of r.
func readReply(r io.Reader, what string) (*reply, error) {
	var b strings.Builder
	if l, ok := r.(interface{ Len() int }); ok && l.Len() <= maxOutput {
		b.Grow(l.Len())
	}
	n, err := io.Copy(&b, io.LimitReader(r, maxOutput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s output: %w", what, err)
	}
	if n > maxOutput {
		return nil, &monitor.ParseError{What: what, Reason: fmt.Sprintf("output larger than %d bytes", maxOutput)}
	}
	return &reply{what: what, data: b.String()}, nil
}

// readText is readReply for the parsers whose texts are shown as they
// came (SHOWCH, SHOWTRANS, STATUS positions, CONNECT, the heartbeat
// query): invalid UTF-8 is replaced.
func readText(out []byte, what string) (*reply, error) {
	r, err := readReply(bytes.NewReader(out), what)
	if err != nil {
		return nil, err
	}
	r.data = strings.ToValidUTF8(r.data, "\uFFFD")
	return r, nil
}

// replyLine is one line of a reply.
type replyLine struct {
	n      int    // line number, from 1
	text   string // the line without its prompt, line end and trailing blanks
	trim   string // text without leading blanks either; "" for a blank line
	prompt bool   // a prompt began the line: the previous command's output ended
	isErr  bool   // the line is an error GGSCI printed (see errorText)
	errMsg string // its text, without "ERROR:"
}

// lines yields every line of the reply, blank ones included, with its prompt
// removed and its error text (if any) recognised. An error line the parser
// does not pin on a group it should hand to unclaimed.
func (r *reply) lines() iter.Seq[replyLine] {
	return func(yield func(replyLine) bool) {
		data, n := r.data, 0
		for data != "" {
			line, rest, _ := strings.Cut(data, "\n")
			data = rest
			n++
			text, prompt := stripPrompt(strings.TrimRight(line, " \t\r"))
			l := replyLine{n: n, text: text, trim: strings.TrimSpace(text), prompt: prompt}
			l.errMsg, l.isErr = errorText(l.trim)
			if !yield(l) {
				return
			}
		}
	}
}

// unclaimed keeps msg as the reply's error if it is the first one.
func (r *reply) unclaimed(msg string) {
	if r.err == nil {
		r.err = &Error{Message: strings.Clone(msg)}
	}
}

// parseError is a *monitor.ParseError about line n (0: the whole output).
func (r *reply) parseError(n int, reason string) error {
	return &monitor.ParseError{What: r.what, Line: n, Reason: reason}
}

// end is how every parser finishes: an unclaimed GGSCI error wins; then,
// when nothing was found, empty output or none (what was missing).
func (r *reply) end(found bool, none string) error {
	switch {
	case r.err != nil:
		return r.err
	case found:
		return nil
	case strings.TrimSpace(r.data) == "":
		return r.parseError(0, "empty output")
	default:
		return r.parseError(0, none)
	}
}

// groupReplies collects the per-group answers of a session of SEND …, LAG …
// or STATS commands, each of which GGSCI begins with "Sending VERB request to
// PROGRAM GROUP ...". It knows which answer a line belongs to and where an
// error line goes.
type groupReplies[T any] struct {
	verb     string
	out      []T
	cur      int                           // index in out of the answer being read; -1 between answers
	newReply func(program, group string) T // an empty answer for one group
	setError func(a *T, msg string)        // nil: error lines go to the session
}

func newGroupReplies[T any](verb string, newReply func(program, group string) T, setError func(*T, string)) *groupReplies[T] {
	return &groupReplies[T]{verb: verb, cur: -1, newReply: newReply, setError: setError}
}

// read handles the lines every such session shares and reports whether l
// was one of them: a prompt ends the current answer; "Sending VERB request"
// starts the next; an error line goes to the current answer, else to a new
// answer for the group it names ("REPLICAT REP9 not currently running."),
// else to the session.
func (g *groupReplies[T]) read(r *reply, l replyLine) bool {
	if l.prompt {
		g.cur = -1
	}
	if l.isErr {
		prog, group, named := groupError(l.errMsg)
		switch {
		case g.setError != nil && g.cur >= 0:
			g.setError(&g.out[g.cur], strings.Clone(l.errMsg))
		case g.setError != nil && named:
			a := g.newReply(prog, group)
			g.setError(&a, strings.Clone(l.errMsg))
			g.out = append(g.out, a)
		default:
			r.unclaimed(l.errMsg)
		}
		return true
	}
	if prog, group, ok := parseSendingRequest(l.trim, g.verb); ok {
		g.out = append(g.out, g.newReply(prog, group))
		g.cur = len(g.out) - 1
		return true
	}
	return false
}

// current is the answer being read, or nil between answers.
func (g *groupReplies[T]) current() *T {
	if g.cur < 0 {
		return nil
	}
	return &g.out[g.cur]
}

// stripPrompt removes a leading prompt: "GGSCI (host) 1> ",
// "GGSCI (host as C##OGG@DB/CDB$ROOT) 13> ", "GGSCI> ", "GGSCI (host) > ",
// "OGG (http://localhost:16000 Atlanta) 4> ", "OGG (not connected) 1> ".
// When commands come on stdin GGSCI echoes nothing, so the command's output
// may follow the prompt on the same line; rest is that output (or the echoed
// command). prompt reports whether there was one.
func stripPrompt(line string) (rest string, prompt bool) {
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

// errorText recognises an error GGSCI printed and returns its text:
// "ERROR: …", a timestamped ERROR-severity OGG-nnnnn message, or a loader
// failure. The line may be indented.
func errorText(line string) (string, bool) {
	t := strings.TrimLeft(line, " ")
	if msg, ok := strings.CutPrefix(t, "ERROR:"); ok {
		return strings.TrimSpace(msg), true
	}
	if strings.Contains(t, "error while loading shared libraries") {
		return t, true
	}
	// "2018-08-17 23:02:49  ERROR   OGG-01234  text"
	if len(t) > 20 && t[4] == '-' && t[10] == ' ' {
		_, rest := nextField(t)
		_, rest = nextField(rest)
		sev, rest := nextField(rest)
		if sev == "ERROR" && strings.HasPrefix(strings.TrimLeft(rest, " "), "OGG-") {
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}

// groupError reports the group an error message names:
// "EXTRACT EXTX does not exist." → EXTRACT, EXTX.
func groupError(msg string) (program, group string, ok bool) {
	prog, rest := nextField(msg)
	group, _ = nextField(rest)
	group = strings.TrimRight(group, ",.:;")
	p := strings.ToUpper(prog)
	if !groupPrograms[p] || group == "" {
		return "", "", false
	}
	return programs[p], name(group), true
}

// parseSendingRequest reads "Sending GETLAG request to EXTRACT LHREMD2 ..."
// and the 21c form "Sending STATS request to Replicat group RORPSQL ...".
func parseSendingRequest(t, verb string) (program, group string, ok bool) {
	rest, ok := cutPrefixFold(t, "Sending ")
	if !ok {
		return "", "", false
	}
	if rest, ok = cutPrefixFold(rest, verb); !ok {
		return "", "", false
	}
	if rest, ok = cutPrefixFold(rest, " request to "); !ok {
		return "", "", false
	}
	prog, rest := nextField(rest)
	group, rest = nextField(rest)
	if strings.EqualFold(group, "group") {
		group, _ = nextField(rest)
	}
	if prog == "" || group == "" || group == "..." {
		return "", "", false
	}
	return internProgram(strings.ToUpper(prog)), name(group), true
}

// isOGGMessage reports whether t carries an OGG-nnnnn message code.
func isOGGMessage(t string) bool {
	i := strings.Index(t, "OGG-")
	if i < 0 || len(t) < i+9 {
		return false
	}
	_, ok := parseDigits(t[i+4 : i+9])
	return ok
}
