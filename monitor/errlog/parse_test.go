package errlog_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor/errlog"
	"github.com/syncmon/syncmon/monitor/internal/golden"

	"github.com/syncmon/syncmon/monitor"
)

func errlogFixtures(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, pat := range []string{"ggserr_*.log", "er_process_log*.log"} {
		m, err := filepath.Glob(filepath.Join("testdata", pat))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) == 0 {
		tb.Fatal("no errlog fixtures")
	}
	return out
}

func TestParseGolden(t *testing.T) {
	for _, file := range errlogFixtures(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := errlog.Parse(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, strings.TrimSuffix(file, ".log")+".golden.json", got)
		})
	}
}

// TestParseCRLF: a CRLF file reads exactly like its LF twin.
func TestParseCRLF(t *testing.T) {
	for _, file := range errlogFixtures(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lf := bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
		a, _ := errlog.Parse(bytes.NewReader(lf))
		c, _ := errlog.Parse(bytes.NewReader(crlf))
		if ja, jc := errlogJSON(t, a), errlogJSON(t, c); ja != jc {
			t.Errorf("%s: CRLF differs from LF:\n%s\n%s", filepath.Base(file), jc, ja)
		}
	}
}

// TestParserChunks: feeding byte by byte gives what one Feed gives.
func TestParserChunks(t *testing.T) {
	for _, file := range errlogFixtures(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		whole, _ := errlog.Parse(bytes.NewReader(b))
		var p errlog.Parser
		var got []monitor.LogEntry
		for i := range b {
			got = append(got, p.Feed(b[i:i+1])...)
		}
		got = append(got, p.Finish()...)
		if g, w := errlogJSON(t, got), errlogJSON(t, whole); g != w {
			t.Errorf("%s: byte-by-byte differs:\n%s\nwant\n%s", filepath.Base(file), g, w)
		}
		if c := p.Consumed(); c != int64(len(b)) {
			t.Errorf("%s: consumed %d, want %d", filepath.Base(file), c, len(b))
		}
	}
}

func errlogJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestParseLines(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name string
		in   string
		want []monitor.LogEntry
	}{
		{"classic", "2016-04-14 22:04:25  ERROR   OGG-01668  Oracle GoldenGate Delivery, res.prm:  PROCESS ABENDING.\n",
			[]monitor.LogEntry{{At: utc("2016-04-14T22:04:25Z"), Severity: "ERROR", Code: "OGG-01668", Program: "REPLICAT", Group: "RES", Message: "PROCESS ABENDING."}}},
		{"iso with zone", "2021-01-24T17:56:19.533+0330  ERROR   OGG-01668  Oracle GoldenGate Delivery for Oracle, rsh.prm:  PROCESS ABENDING.",
			[]monitor.LogEntry{{At: utc("2021-01-24T17:56:19.533+03:30"), Severity: "ERROR", Code: "OGG-01668", Program: "REPLICAT", Group: "RSH", Message: "PROCESS ABENDING."}}},
		{"iso without zone or millis", "2021-01-24T17:56:19  WARNING OGG-01194  Oracle GoldenGate Capture for Oracle, ext1.prm:  EXTRACT task X abended : y",
			[]monitor.LogEntry{{At: utc("2021-01-24T17:56:19Z"), Severity: "WARNING", Code: "OGG-01194", Program: "EXTRACT", Group: "EXT1", Message: "EXTRACT task X abended : y"}}},
		{"group name cleaned", "2016-04-14 22:04:25  ERROR   OGG-01668  Oracle GoldenGate Delivery, r\u202ees\xff.prm:  PROCESS ABENDING.\n",
			[]monitor.LogEntry{{At: utc("2016-04-14T22:04:25Z"), Severity: "ERROR", Code: "OGG-01668", Program: "REPLICAT", Group: "R\uFFFDES\uFFFD", Message: "PROCESS ABENDING."}}},
		{"manager has no group", "2016-04-14 22:04:25  INFO    OGG-00960  Oracle GoldenGate Manager, mgr.prm:  Access granted (rule #6).",
			[]monitor.LogEntry{{At: utc("2016-04-14T22:04:25Z"), Severity: "INFO", Code: "OGG-00960", Program: "MANAGER", Message: "Access granted (rule #6)."}}},
		{"report line without source", "2011-03-16 00:51:55  ERROR   OGG-01668  PROCESS ABENDING.",
			[]monitor.LogEntry{{At: utc("2011-03-16T00:51:55Z"), Severity: "ERROR", Code: "OGG-01668", Message: "PROCESS ABENDING."}}},
		{"continuation lines, 4 and 30 spaces", "2014-01-01 00:00:00  ERROR   OGG-15051  Oracle GoldenGate Delivery, kafka.prm:  Java or JNI exception:\n    java.lang.NullPointerException\n                              at Foo.bar(Foo.java:1)\n2014-01-01 00:00:01  ERROR   OGG-01668  PROCESS ABENDING.\n",
			[]monitor.LogEntry{
				{At: utc("2014-01-01T00:00:00Z"), Severity: "ERROR", Code: "OGG-15051", Program: "REPLICAT", Group: "KAFKA", Message: "Java or JNI exception:\njava.lang.NullPointerException\nat Foo.bar(Foo.java:1)"},
				{At: utc("2014-01-01T00:00:01Z"), Severity: "ERROR", Code: "OGG-01668", Message: "PROCESS ABENDING."},
			}},
		{"pipe format", "2023-05-18T16:57:06.166-0300 WARN | WARNING OGG-01003 Oracle GoldenGate Delivery, BQU7OSA.prm: Repositioning to rba 23287647 in seqno 190. (main) ",
			[]monitor.LogEntry{{At: utc("2023-05-18T16:57:06.166-03:00"), Severity: "WARNING", Code: "OGG-01003", Program: "REPLICAT", Group: "BQU7OSA", Message: "Repositioning to rba 23287647 in seqno 190."}}},
		{"pipe without second level", "2026-02-01 07:59:28.566+0000 INFO |RestAPI.adminsrvr | Request #23315: {\n\"a\": 1\n}",
			[]monitor.LogEntry{{At: utc("2026-02-01T07:59:28.566Z"), Severity: "INFO", Message: "RestAPI.adminsrvr | Request #23315: {\n\"a\": 1\n}"}}},
		{"unknown severity kept whole", "2024-01-15 10:00:00  NOTICE  something odd",
			[]monitor.LogEntry{{At: utc("2024-01-15T10:00:00Z"), Message: "2024-01-15 10:00:00  NOTICE  something odd"}}},
		{"orphan lines first", "garbage before\n  more\n2024-01-15 10:00:00  INFO    OGG-00001  ok\n",
			[]monitor.LogEntry{{Message: "garbage before\nmore"}, {At: utc("2024-01-15T10:00:00Z"), Severity: "INFO", Code: "OGG-00001", Message: "ok"}}},
		{"blank lines skipped", "\n\n2024-01-15 10:00:00  INFO    OGG-00001  a\n\n   \n2024-01-15 10:00:01  INFO    OGG-00002  b\n\n",
			[]monitor.LogEntry{
				{At: utc("2024-01-15T10:00:00Z"), Severity: "INFO", Code: "OGG-00001", Message: "a"},
				{At: utc("2024-01-15T10:00:01Z"), Severity: "INFO", Code: "OGG-00002", Message: "b"},
			}},
		{"no code", "2024-01-15 10:00:00  ERROR   something without a code",
			[]monitor.LogEntry{{At: utc("2024-01-15T10:00:00Z"), Severity: "ERROR", Message: "something without a code"}}},
		{"impossible date", "2024-13-45 99:00:00  ERROR   OGG-01668  PROCESS ABENDING.",
			[]monitor.LogEntry{{Severity: "ERROR", Code: "OGG-01668", Message: "PROCESS ABENDING."}}},
		{"empty", "", []monitor.LogEntry{}},
		{"invalid UTF-8", "2024-01-15 10:00:00  ERROR   OGG-01668  bad \xff byte",
			[]monitor.LogEntry{{At: utc("2024-01-15T10:00:00Z"), Severity: "ERROR", Code: "OGG-01668", Message: "bad \uFFFD byte"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := errlog.Parse(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if g, w := errlogJSON(t, got), errlogJSON(t, tc.want); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
}

func TestParserIncremental(t *testing.T) {
	var p errlog.Parser
	l1 := "2024-01-15 10:00:00  ERROR   OGG-00001  first\n"
	cont := "    more of first\n"
	l2 := "2024-01-15 10:00:01  ERROR   OGG-00002  sec"

	if got := p.Feed([]byte(l1)); len(got) != 0 {
		t.Fatalf("got %v before the entry was complete", got)
	}
	if c := p.Consumed(); c != 0 {
		t.Errorf("consumed %d with the entry open, want 0", c)
	}
	if got := p.Feed([]byte(cont + l2)); len(got) != 0 {
		t.Fatalf("got %v; the next entry has not started yet (its line is partial)", got)
	}
	if got := p.Flush(); len(got) != 1 || got[0].Message != "first\nmore of first" {
		t.Fatalf("got %+v, want the first entry with its continuation", got)
	}
	if c, w := p.Consumed(), int64(len(l1+cont)); c != w {
		t.Errorf("consumed %d, want %d (the partial line is not consumed)", c, w)
	}
	if got := p.Flush(); len(got) != 0 {
		t.Errorf("Flush returned %v; the partial line is not a line yet", got)
	}
	if got := p.Feed([]byte("ond\n")); len(got) != 0 {
		t.Fatalf("got %v, want the second entry still open", got)
	}
	got := p.Flush()
	if len(got) != 1 || got[0].Code != "OGG-00002" || got[0].Message != "second" {
		t.Fatalf("got %+v, want the second entry", got)
	}
	if c, w := p.Consumed(), int64(len(l1+cont+l2+"ond\n")); c != w {
		t.Errorf("consumed %d, want %d", c, w)
	}
}

func TestParserLimits(t *testing.T) {
	long := "2024-01-15 10:00:00  ERROR   OGG-00001  " + strings.Repeat("x", 200<<10) + "\n"
	next := "2024-01-15 10:00:01  INFO    OGG-00002  after\n"
	got, _ := errlog.Parse(strings.NewReader(long + next))
	if len(got) != 2 {
		t.Fatalf("got %d entries, want 2", len(got))
	}
	if m := got[0].Message; !strings.HasSuffix(m, " [line truncated]") || len(m) > 65<<10 {
		t.Errorf("got a message of %d bytes ending %q, want it cut and marked", len(m), m[max(0, len(m)-20):])
	}
	if got[1].Message != "after" {
		t.Errorf("got %q after the long line, want %q", got[1].Message, "after")
	}

	many := "2024-01-15 10:00:00  ERROR   OGG-00001  head\n" + strings.Repeat("    "+strings.Repeat("y", 1000)+"\n", 400)
	got, _ = errlog.Parse(strings.NewReader(many + next))
	if len(got) != 2 || !strings.HasSuffix(got[0].Message, "[further lines truncated]") || len(got[0].Message) > 260<<10 {
		t.Errorf("got %d entries, first of %d bytes; want it capped and marked", len(got), len(got[0].Message))
	}
}

func FuzzParser(f *testing.F) {
	for _, file := range errlogFixtures(f) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(len(b)/2))
	}
	f.Add([]byte("2024-01-15T10:00:00.1+0000 ERROR| ERROR OGG-1 x: (main)\n\r\n   \n"), uint16(3))
	f.Fuzz(func(t *testing.T, b []byte, cut uint16) {
		whole, err := errlog.Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		// Split anywhere: the same entries.
		k := int(cut) % (len(b) + 1)
		var p errlog.Parser
		got := append([]monitor.LogEntry{}, p.Feed(b[:k])...)
		got = append(got, p.Feed(b[k:])...)
		if c := p.Consumed(); c < 0 || c > int64(len(b)) {
			t.Fatalf("consumed %d of %d bytes", c, len(b))
		}
		got = append(got, p.Finish()...)
		if g, w := errlogJSON(t, got), errlogJSON(t, whole); g != w {
			t.Fatalf("split at %d:\n%s\nwant\n%s", k, g, w)
		}
		if c := p.Consumed(); c != int64(len(b)) {
			t.Fatalf("consumed %d after Finish, want %d", c, len(b))
		}
		for _, e := range whole {
			switch e.Severity {
			case "", "INFO", "WARNING", "ERROR":
			default:
				t.Fatalf("severity %q", e.Severity)
			}
			if e.Message == "" && e.Severity == "" {
				t.Fatalf("an empty unreadable entry: %+v", e)
			}
		}
	})
}

// An entry flushed at the end of what was written is reopened by the
// continuation lines written after it: the ERROR line goes out at once,
// then again, whole, with its continuation.
func TestParserReopensFlushedEntry(t *testing.T) {
	var p errlog.Parser
	p.Feed([]byte("2024-01-15 10:00:00  ERROR   OGG-00001  first\n"))
	if got := p.Flush(); len(got) != 1 || got[0].Message != "first" {
		t.Fatalf("got %+v, want the ERROR line at once", got)
	}
	p.Feed([]byte("    more of first\n"))
	got := p.Flush()
	if len(got) != 1 || got[0].Code != "OGG-00001" || got[0].Severity != "ERROR" || got[0].Message != "first\nmore of first" {
		t.Fatalf("got %+v, want the first entry again with its continuation", got)
	}
	// A new entry ends the reopening: a later continuation joins the new one.
	p.Feed([]byte("2024-01-15 10:00:01  ERROR   OGG-00002  second\n"))
	p.Flush()
	p.Feed([]byte("\n    more of second\n"))
	if got := p.Flush(); len(got) != 1 || got[0].Code != "OGG-00002" || got[0].Message != "second\nmore of second" {
		t.Fatalf("got %+v, want the second entry with its continuation", got)
	}
	// After Finish (a new file) a continuation stands alone.
	p.Finish()
	p.Feed([]byte("    orphan\n"))
	if got := p.Flush(); len(got) != 1 || got[0].Severity != "" || got[0].Message != "orphan" {
		t.Fatalf("got %+v, want an entry of its own", got)
	}
}
