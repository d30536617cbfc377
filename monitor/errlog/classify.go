package errlog

import (
	"regexp"
	"strings"

	"github.com/syncmon/syncmon/monitor"
)

// What a ggserr.log message means, for the spoken text and the rules
// (issue 15, ogg-depth.md §4 and §7). Pure functions over one message: the
// code (OGG-nnnnn, may be empty) and its text, as a monitor.LogEntry holds
// them; a whole log line works too, the code is then found in it.

// Kinds of classified messages.
const (
	KindArchiveLogMissing = "archive_log_missing" // OGG-00446
	KindLongTransaction   = "long_transaction"    // OGG-01027, WARNLONGTRANS
	KindDiscardLimit      = "discard_limit"       // OGG-01170
	KindDiscarding        = "discarding"          // OGG-01008
	KindTrailDiskFull     = "trail_disk_full"     // "No space left on device" (errno 28)
	KindTrailWriteFailed  = "trail_write_failed"  // "Unable to write to file …", OGG-01031 with a write failure
)

// Classification is what a message means, in a short phrase in both
// languages ("archive log missing"), for alert text and speech.
type Classification struct {
	Kind     string `json:"kind"`     // one of the Kind constants
	Code     string `json:"code"`     // the OGG-nnnnn code, "" when none
	Severity string `json:"severity"` // monitor.SeverityWarning or monitor.SeverityCritical
	En       string `json:"en"`
	Ko       string `json:"ko"`
}

var classifyCodeRE = regexp.MustCompile(`\bOGG-\d{5}\b`)

// Classify says what a message means; ok is false for messages it does not
// know. code may be empty: the first OGG-nnnnn in message is used then.
func Classify(code, message string) (c Classification, ok bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		code = classifyCodeRE.FindString(message)
	}
	lower := strings.ToLower(message)
	mk := func(kind, sev, en, ko string) (Classification, bool) {
		return Classification{Kind: kind, Code: code, Severity: sev, En: en, Ko: ko}, true
	}
	switch {
	case code == "OGG-00446":
		return mk(KindArchiveLogMissing, monitor.SeverityCritical, "archive log missing", "아카이브 로그 없음")
	case code == "OGG-01170" || strings.Contains(lower, "exceeded maximum discard records"):
		return mk(KindDiscardLimit, monitor.SeverityCritical, "discard limit exceeded", "디스카드 한도 초과")
	case strings.Contains(lower, "no space left on device") || strings.Contains(lower, "(error 28,"):
		return mk(KindTrailDiskFull, monitor.SeverityCritical, "trail disk full", "트레일 디스크 가득 참")
	case strings.Contains(lower, "unable to write to file") || strings.Contains(lower, "error writing to trail") ||
		strings.Contains(lower, "error writing to file"):
		return mk(KindTrailWriteFailed, monitor.SeverityCritical, "trail write failed", "트레일 쓰기 실패")
	case code == "OGG-01027" || strings.Contains(lower, "long running transaction"):
		return mk(KindLongTransaction, monitor.SeverityWarning, "long running transaction", "장기 실행 트랜잭션")
	case code == "OGG-01008" || strings.Contains(lower, "discarding bad record"):
		return mk(KindDiscarding, monitor.SeverityWarning, "discarding records", "레코드 디스카드 중")
	}
	return Classification{}, false
}

var longTxnRE = regexp.MustCompile(`(?i)Long Running Transaction:\s*(.*)`)

// ParseLongTransaction reads a WARNLONGTRANS message ("Long Running
// Transaction: XID 826.0.225946, Items 1357, Extract ET24DC, Redo Thread 1,
// SCN 2455.4202581884 (10548347293564), Redo Seq #31304, Redo RBA
// 1143368148."). The message gives no start time, so StartedAt and
// AgeSeconds are nil: the transaction is at least WARNLONGTRANS's
// threshold old (1 h by default) when the line is written. ok is false
// for other messages and for one without an XID.
func ParseLongTransaction(message string) (tx monitor.Transaction, ok bool) {
	m := longTxnRE.FindStringSubmatch(message)
	if m == nil {
		return monitor.Transaction{}, false
	}
	body := strings.TrimSuffix(strings.TrimSpace(m[1]), ".")
	for _, part := range strings.Split(body, ",") {
		key, value := classifyKeyValue(strings.TrimSpace(part))
		switch strings.ToLower(key) {
		case "xid":
			tx.XID = classifyClip(value, 64)
		case "items":
			if n, ok := classifyInt(value); ok {
				tx.Items = &n
			}
		case "extract":
			tx.Process = strings.ToUpper(classifyClip(value, 64))
		case "redo thread":
			if n, ok := classifyInt(value); ok && n < 1<<16 {
				tx.RedoThread = int(n)
			}
		}
	}
	return tx, tx.XID != ""
}

// classifyKeyValue splits "Redo Thread 1" into "Redo Thread", "1": the
// value is the last blank-separated word.
func classifyKeyValue(s string) (key, value string) {
	i := strings.LastIndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
}

func classifyInt(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.ReplaceAll(s, ",", ""), "#")
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func classifyClip(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if r := []rune(s); len(r) > max {
		return string(r[:max])
	}
	return s
}

// Annotate fills in what each entry means (Meaning, from Classify) and the
// transaction a WARNLONGTRANS line names (LongTransaction), so that the
// rules can say what happened and update the long_transaction alert.
func Annotate(entries []monitor.LogEntry) {
	for i := range entries {
		e := &entries[i]
		if c, ok := Classify(e.Code, e.Message); ok {
			e.Meaning = &monitor.LogMeaning{Kind: c.Kind, Severity: c.Severity, En: c.En, Ko: c.Ko}
		}
		if tx, ok := ParseLongTransaction(e.Message); ok {
			if tx.Process == "" {
				tx.Process = e.Group
			}
			e.LongTransaction = &tx
		}
	}
}
