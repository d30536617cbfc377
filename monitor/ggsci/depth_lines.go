package ggsci

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/syncmon/syncmon/monitor"
)

// Small line helpers of the issue-15 parsers (showtrans.go, showch.go).
// They repeat, under depth* names, what ggsci_parse.go's shared helpers do
// (ggsciLines, ggsciStripPrompt, ggsciErrorText, ggsciGroupError) so that
// these files compile on their own. TODO(dedupe): use the unified session
// splitter once it lands.

// depthMaxOutput bounds the output one parser call reads: SHOWTRANS for
// hundreds of Extracts is far below it, a host spewing garbage is cut off.
const depthMaxOutput = 16 << 20

// depthCheckSize refuses output past depthMaxOutput.
func depthCheckSize(out []byte, what string) error {
	if len(out) > depthMaxOutput {
		return &monitor.ParseError{What: what, Reason: fmt.Sprintf("output larger than %d bytes", depthMaxOutput)}
	}
	return nil
}

// depthSplitLines splits output into lines without their line ends (LF or
// CRLF) and trailing blanks, with invalid UTF-8 replaced.
func depthSplitLines(out []byte) []string {
	s := strings.ToValidUTF8(string(out), "\uFFFD")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return lines
}

// depthStripPrompt removes a leading GGSCI or Admin Client prompt
// ("GGSCI (host) 5> ", "OGG (http://h:1 dep) 4> ", "GGSCI> ") and returns
// what follows it on the line: the echoed command, or the first line of
// output when commands came on stdin.
func depthStripPrompt(line string) (rest string, prompt bool) {
	rest, prompt = stripPrompt(line)
	if prompt {
		rest = strings.TrimSpace(rest)
	}
	return rest, prompt
}

// depthErrorText recognises "ERROR: …" (possibly indented) and returns its text.
func depthErrorText(line string) (string, bool) {
	msg, ok := strings.CutPrefix(strings.TrimLeft(line, " \t"), "ERROR:")
	if !ok {
		return "", false
	}
	return depthClip(strings.TrimSpace(msg), 500), true
}

var depthGroupRE = regexp.MustCompile(`(?i)\b(EXTRACT|REPLICAT)(?: group)? ([A-Za-z0-9_$#]{1,64})\b`)

// depthGroupNamed finds the group a line names: "EXTRACT EXTX does not
// exist." → EXTRACT, EXTX; "Sending SHOWTRANS request to EXTRACT C11 ..."
// → EXTRACT, C11.
func depthGroupNamed(s string) (program, group string, ok bool) {
	m := depthGroupRE.FindStringSubmatch(s)
	if m == nil || strings.EqualFold(m[2], "group") {
		return "", "", false
	}
	return strings.ToUpper(m[1]), strings.ToUpper(m[2]), true
}

// depthField splits "Label:   value" at its first colon. ok is false for
// lines without one.
func depthField(line string) (label, value string, ok bool) {
	label, value, ok = strings.Cut(strings.TrimSpace(line), ":")
	return strings.TrimSpace(label), strings.TrimSpace(value), ok
}

// depthClip cuts s to at most max bytes, on a rune boundary.
func depthClip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max] + "…"
}

// depthInt reads "1,204,337" or "42".
func depthInt(s string) (int64, bool) {
	return parseDigits(strings.ReplaceAll(strings.TrimSpace(s), ",", ""))
}

// depthAge is now − t in whole seconds, never negative (the OGG host's
// clock may run ahead of ours).
func depthAge(now, t time.Time) int64 {
	d := now.Sub(t)
	if d < 0 {
		return 0
	}
	return int64(d / time.Second)
}
