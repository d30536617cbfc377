package ggsci

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Small helpers of the issue-15 parsers (showtrans.go, showch.go). They
// read their output with readReply and its lines, as every GGSCI parser
// does; what stays here is what only they need: groups named anywhere in a
// line ("Sending SHOWTRANS request to EXTRACT C11 ..."), labelled fields,
// clipped texts and "1,204,337" counts.

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
