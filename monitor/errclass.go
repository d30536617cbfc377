package monitor

import (
	"context"
	"errors"
	"regexp"
)

// Fixed descriptions of why a check failed: what viewers, kiosks, events,
// alerts and notifications are told. A collector's own error (stderr of
// ggsci or sqlplus, a REST URL) can carry credentials and internal
// addresses; it goes to the server log only, through Redact.
const (
	ClassCredentials = "credentials refused"
	ClassBadOutput   = "bad output"
	ClassTimeout     = "timeout"
	ClassUnreachable = "unreachable"
)

// ErrorClass returns the fixed description of a failed check's error ("" for nil).
func ErrorClass(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrCredentials):
		return ClassCredentials
	case errors.Is(err, ErrUnreadable):
		return ClassBadOutput
	case errors.Is(err, context.DeadlineExceeded):
		return ClassTimeout
	}
	return ClassUnreachable
}

var redactions = []struct {
	re   *regexp.Regexp
	with string
}{
	// scheme://user:password@host
	{regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):[^@\s/]*@`), "$1:***@"},
	// password=…, pwd: …, PASSWORD secret, IDENTIFIED BY secret
	{regexp.MustCompile(`(?i)\b(password|passwd|pwd|identified\s+by)(\s*[=:]\s*|\s+)("[^"]*"|'[^']*'|[^\s,;&"')]+)`), "$1$2***"},
	// user/password@tns (sqlplus, ORA- connect strings)
	{regexp.MustCompile(`([A-Za-z0-9_$#.]+)/[^\s/@]+@`), "$1/***@"},
	// Authorization headers quoted back
	{regexp.MustCompile(`(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{8,}`), "$1 ***"},
}

// Redact hides credentials in an error's text before it is logged:
// URL user info, password=… and PASSWORD … clauses, user/password@tns
// connect strings and Authorization values.
func Redact(s string) string {
	for _, r := range redactions {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}
