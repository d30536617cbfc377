package errlog_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/errlog"
	"github.com/syncmon/syncmon/monitor/internal/golden"
)

// classifiedLine is one line of a golden file.
type classifiedLine struct {
	Line            string                 `json:"line"`
	Classification  *errlog.Classification `json:"classification,omitempty"`
	LongTransaction *monitor.Transaction   `json:"long_transaction,omitempty"`
}

func classifyInputs(tb testing.TB) []string {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "depth", "ggserr_*"))
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.json") {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		tb.Fatal("no fixtures")
	}
	return out
}

func TestClassifyGolden(t *testing.T) {
	for _, in := range classifyInputs(t) {
		t.Run(filepath.Base(in), func(t *testing.T) {
			b, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := []classifiedLine{}
			for _, line := range strings.Split(string(b), "\n") {
				line = strings.TrimRight(line, " \r")
				if line == "" {
					continue
				}
				cl := classifiedLine{Line: line}
				if c, ok := errlog.Classify("", line); ok {
					cl.Classification = &c
				}
				if tx, ok := errlog.ParseLongTransaction(line); ok {
					cl.LongTransaction = &tx
				}
				got = append(got, cl)
			}
			golden.Check(t, strings.TrimSuffix(in, filepath.Ext(in))+".golden.json", got)
		})
	}
}

func TestClassifyKinds(t *testing.T) {
	for _, tc := range []struct {
		code, msg, kind, en string
	}{
		{"OGG-00446", "Could not find archived log for sequence 1839", errlog.KindArchiveLogMissing, "archive log missing"},
		{"", "ERROR   OGG-01170  Oracle GoldenGate Delivery for Oracle, rep1.prm:  Exceeded maximum discard records, abending", errlog.KindDiscardLimit, "discard limit exceeded"},
		{"OGG-01091", `Unable to write to file "./dirdat/lt000000457" (error 28, No space left on device).`, errlog.KindTrailDiskFull, "trail disk full"},
		{"OGG-01091", `Unable to write to file "./dirdat/lt000000457" (error 5, Input/output error).`, errlog.KindTrailWriteFailed, "trail write failed"},
		{"ogg-01027", "Long Running Transaction: XID 1.2.3, Items 0, Extract E1, Redo Thread 1.", errlog.KindLongTransaction, "long running transaction"},
		{"OGG-01008", "Discarding bad record (discard recs = 1).", errlog.KindDiscarding, "discarding records"},
	} {
		c, ok := errlog.Classify(tc.code, tc.msg)
		if !ok || c.Kind != tc.kind || c.En != tc.en || c.Ko == "" || c.Code == "" {
			t.Errorf("Classify(%q, %q) = %+v, %v; want kind %s", tc.code, tc.msg, c, ok, tc.kind)
		}
	}
	for _, msg := range []string{"PROCESS ABENDING.", `Unable to open file "c:\x\report.dsc" (error 3, The system cannot find the path specified.).`, ""} {
		if c, ok := errlog.Classify("", msg); ok {
			t.Errorf("Classify(%q) = %+v, want unclassified", msg, c)
		}
	}
}

func TestParseLongTransactionBody(t *testing.T) {
	tx, ok := errlog.ParseLongTransaction("Long Running Transaction: XID 826.0.225946, Items 1357, Extract ET24DC, Redo Thread 1, SCN 2455.4202581884 (10548347293564), Redo Seq #31304, Redo RBA 1143368148.")
	if !ok || tx.XID != "826.0.225946" || tx.Process != "ET24DC" || tx.Items == nil || *tx.Items != 1357 || tx.RedoThread != 1 || tx.StartedAt != nil || tx.AgeSeconds != nil {
		t.Errorf("got %+v, %v", tx, ok)
	}
	for _, msg := range []string{"Long Running Transaction:", "Long Running Transaction: Items 5, Extract E1.", "PROCESS ABENDING."} {
		if tx, ok := errlog.ParseLongTransaction(msg); ok {
			t.Errorf("ParseLongTransaction(%q) = %+v, want not ok", msg, tx)
		}
	}
}

func classifySeeds(f *testing.F) {
	for _, in := range classifyInputs(f) {
		b, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			f.Add(line)
		}
	}
}

func FuzzClassify(f *testing.F) {
	classifySeeds(f)
	f.Fuzz(func(t *testing.T, msg string) {
		c, ok := errlog.Classify("", msg)
		if ok != (c.Kind != "") || (ok && (c.En == "" || c.Ko == "" || !utf8.ValidString(c.Code))) {
			t.Fatalf("Classify(%q) = %+v, %v", msg, c, ok)
		}
	})
}

func FuzzParseLongTransaction(f *testing.F) {
	classifySeeds(f)
	f.Fuzz(func(t *testing.T, msg string) {
		tx, ok := errlog.ParseLongTransaction(msg)
		if ok && (tx.XID == "" || !utf8.ValidString(tx.XID) || !utf8.ValidString(tx.Process)) {
			t.Fatalf("ParseLongTransaction(%q) = %+v", msg, tx)
		}
		if _, err := json.Marshal(tx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAnnotate(t *testing.T) {
	var entries []monitor.LogEntry
	for _, f := range []string{"ggserr_longtrans_warnings_COMPOSED.log", "ggserr_ogg00446_log_missing_variants.log", "ggserr_discard_limit_ogg01170_COMPOSED.log", "ggserr_trail_disk_full_COMPOSED.log"} {
		b, err := os.ReadFile(filepath.Join("testdata", "depth", f))
		if err != nil {
			t.Fatal(err)
		}
		es, err := errlog.Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, es...)
	}
	errlog.Annotate(entries)
	kinds := map[string]int{}
	for _, e := range entries {
		if e.Meaning != nil {
			kinds[e.Meaning.Kind]++
			if e.Meaning.En == "" || e.Meaning.Ko == "" {
				t.Errorf("%q: meaning without words %+v", e.Message, e.Meaning)
			}
		}
		if tx := e.LongTransaction; tx != nil && (tx.XID == "" || tx.Process == "") {
			t.Errorf("%q: long transaction %+v without XID or Extract", e.Message, tx)
		}
	}
	for _, k := range []string{errlog.KindLongTransaction, errlog.KindArchiveLogMissing, errlog.KindDiscardLimit, errlog.KindTrailDiskFull} {
		if kinds[k] == 0 {
			t.Errorf("no entry classified %s (got %v)", k, kinds)
		}
	}
	if e := entries[0]; e.LongTransaction == nil || e.LongTransaction.XID != "12.7.40251" || e.LongTransaction.Process != "EXT1" {
		t.Errorf("first WARNLONGTRANS entry: %+v", e.LongTransaction)
	}
}
