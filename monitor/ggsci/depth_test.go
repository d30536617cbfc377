package ggsci_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/ggsci"
	"github.com/syncmon/syncmon/monitor/internal/golden"
)

// depthNow is the clock every golden file was written with.
var depthNow = time.Date(2024, 5, 14, 12, 0, 0, 0, time.UTC)

// depthParsers maps each testdata/depth directory to its parser; every
// input file in the directory gets a golden file beside it.
var depthParsers = map[string]func([]byte, time.Time) (any, error){
	"showtrans":     depthWrap(ggsci.ParseShowTrans),
	"showch":        depthWrap(ggsci.ParseShowCh),
	"heartbeat_sql": depthWrap(ggsci.ParseHeartbeatSQL),
	"activity":      depthWrap(ggsci.ParseActivity),
}

func depthWrap[T any](f func([]byte, time.Time) (T, error)) func([]byte, time.Time) (any, error) {
	return func(b []byte, now time.Time) (any, error) { return f(b, now) }
}

// depthResult is what a golden file records.
type depthResult struct {
	Result      any    `json:"result,omitempty"`
	Error       string `json:"error,omitempty"`
	Unreadable  bool   `json:"unreadable,omitempty"`
	Credentials bool   `json:"credentials,omitempty"`
	Unreachable bool   `json:"unreachable,omitempty"`
}

func depthInputs(tb testing.TB, dir string) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "depth", dir, "*"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no fixtures in %s: %v", dir, err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.json") {
			out = append(out, f)
		}
	}
	return out
}

func TestDepthGolden(t *testing.T) {
	for dir, parse := range depthParsers {
		for _, in := range depthInputs(t, dir) {
			t.Run(dir+"/"+filepath.Base(in), func(t *testing.T) {
				b, err := os.ReadFile(in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := parse(b, depthNow)
				r := depthResult{Result: got}
				if err != nil {
					r = depthResult{
						Error:       err.Error(),
						Unreadable:  errors.Is(err, monitor.ErrUnreadable),
						Credentials: errors.Is(err, monitor.ErrCredentials),
						Unreachable: errors.Is(err, monitor.ErrUnreachable),
					}
					if !r.Unreadable && !r.Credentials && !r.Unreachable {
						t.Errorf("error %v matches no monitor error", err)
					}
				}
				golden.Check(t, strings.TrimSuffix(in, filepath.Ext(in))+".golden.json", r)
			})
		}
	}
}

func TestShowTransSessionAffectsOnlyFailedGroups(t *testing.T) {
	b, err := os.ReadFile("testdata/depth/showtrans/ggsci_showtrans_session_four_extracts_truncated_crlf_COMPOSED.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ggsci.ParseShowTrans(b, depthNow)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]ggsci.ShowTrans{}
	for _, s := range got {
		byName[s.Extract] = s
	}
	ext1 := byName["EXT1"]
	old, ok := ext1.OldestTransaction()
	if ext1.Error != "" || !ok || old.XID != "12.7.40251" || *old.AgeSeconds != 4*3600+118 || *old.Items != 4821 {
		t.Errorf("EXT1 = %+v", ext1)
	}
	if !strings.Contains(byName["EXT2"].Error, "not currently running") || !strings.Contains(byName["EXT9"].Error, "does not exist") {
		t.Errorf("EXT2, EXT9 errors = %q, %q", byName["EXT2"].Error, byName["EXT9"].Error)
	}
	if s := byName["EXT3"]; s.Error != "" || s.Transactions == nil || len(s.Transactions) != 0 {
		t.Errorf("EXT3 (none open) = %+v", s)
	}
	if s := byName["EXT4"]; !strings.Contains(s.Error, "Start Time") || len(s.Transactions) != 0 {
		t.Errorf("EXT4 (cut off) = %+v", s)
	}
}

func TestShowChRACOldestThread(t *testing.T) {
	b, err := os.ReadFile("testdata/depth/showch/ggsci_info_extract_showch_rac_two_threads_doc_excerpt.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ggsci.ParseShowCh(b, time.Date(2011, 1, 1, 16, 16, 19, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Group != "JC108XT" || got[0].Status != "ABENDED" || len(got[0].Recovery) != 2 {
		t.Fatalf("got %+v", got)
	}
	old, _ := monitor.OldestRecovery(got[0].Recovery)
	if old.Thread != 2 || old.AgeSeconds != 2*3600 {
		t.Errorf("oldest = %+v, want thread 2 two hours old", old)
	}
}

func TestHeartbeatQueryAndErrors(t *testing.T) {
	q, err := ggsci.HeartbeatQueryFor("ggadmin")
	if err != nil || !strings.Contains(q, "FROM ggadmin.gg_lag") || !strings.HasSuffix(q, "EXIT\n") {
		t.Errorf("query for ggadmin: %v\n%s", err, q)
	}
	for _, bad := range []string{"", "gg; drop", "a.b", "1x"} {
		if _, err := ggsci.HeartbeatQueryFor(bad); err == nil {
			t.Errorf("schema %q accepted", bad)
		}
	}
	for in, want := range map[string]error{
		"ERROR:\nORA-01017: invalid username/password; logon denied\n": monitor.ErrCredentials,
		"ERROR:\nORA-12541: TNS:no listener\n":                         monitor.ErrUnreachable,
		"ORA-00942: table or view does not exist\n":                    monitor.ErrUnreadable,
		"GGLAG|1|A|B|E ==> R|1|2|||\n":                                 monitor.ErrUnreadable, // no end marker
		"GGLAG|1|A|B|E ==> R|x|2|||\nGGLAG-END\n":                      monitor.ErrUnreadable,
	} {
		if _, err := ggsci.ParseHeartbeatSQL([]byte(in), depthNow); !errors.Is(err, want) {
			t.Errorf("%q: err = %v, want %v", in, err, want)
		}
	}
}

func depthFuzz[T any](f *testing.F, dir string, parse func([]byte, time.Time) (T, error)) {
	for _, in := range depthInputs(f, dir) {
		b, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		got, err := parse(out, depthNow)
		if err != nil {
			if !errors.Is(err, monitor.ErrUnreadable) && !errors.Is(err, monitor.ErrCredentials) && !errors.Is(err, monitor.ErrUnreachable) {
				t.Fatalf("error %v matches no monitor error", err)
			}
			return
		}
		if _, err := json.Marshal(got); err != nil {
			t.Fatalf("result does not marshal: %v", err)
		}
	})
}

func FuzzParseShowTrans(f *testing.F)    { depthFuzz(f, "showtrans", ggsci.ParseShowTrans) }
func FuzzParseShowCh(f *testing.F)       { depthFuzz(f, "showch", ggsci.ParseShowCh) }
func FuzzParseHeartbeatSQL(f *testing.F) { depthFuzz(f, "heartbeat_sql", ggsci.ParseHeartbeatSQL) }
func FuzzParseActivity(f *testing.F)     { depthFuzz(f, "activity", ggsci.ParseActivity) }
