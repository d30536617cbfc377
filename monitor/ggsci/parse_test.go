package ggsci_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/syncmon/syncmon/monitor/ggsci"
	"github.com/syncmon/syncmon/monitor/internal/golden"

	"github.com/syncmon/syncmon/monitor"
)

// The fixtures in testdata/ are byte-exact copies of
// ../shared/fixtures/ogg/{ggsci,adminclient}_* (see SOURCES.md there for
// where each comes from); nothing here reads ../shared.

// ggsciParser adapts one of the GGSCI parsers to a common signature.
type ggsciParser func(io.Reader) (any, error)

func ggsciInfoAll(r io.Reader) (any, error)     { return ggsci.ParseInfoAll(r) }
func ggsciLag(r io.Reader) (any, error)         { return ggsci.ParseLag(r) }
func ggsciInfoDetails(r io.Reader) (any, error) { return ggsci.ParseInfoDetails(r) }
func ggsciInfoMgr(r io.Reader) (any, error)     { return ggsci.ParseInfoMgr(r) }
func ggsciSendStatus(r io.Reader) (any, error)  { return ggsci.ParseSendStatus(r) }
func ggsciStats(r io.Reader) (any, error)       { return ggsci.ParseStats(r) }

// ggsciInfoMgrLines parses every line on its own: the fixture gathers one
// INFO MGR answer per line from five sources.
func ggsciInfoMgrLines(r io.Reader) (any, error) {
	var out []ggsci.ManagerInfo
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m, err := ggsci.ParseInfoMgr(strings.NewReader(sc.Text()))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// ggsciMgrAndInfoAll reads a session that ran both INFO MGR and INFO ALL.
func ggsciMgrAndInfoAll(r io.Reader) (any, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	mgr, err := ggsci.ParseInfoMgr(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	all, err := ggsci.ParseInfoAll(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return map[string]any{"info_mgr": mgr, "info_all": all}, nil
}

// ggsciWantParseError expects a *monitor.ParseError at line (0: not line-bound).
func ggsciWantParseError(line int) func(testing.TB, error) {
	return func(tb testing.TB, err error) {
		tb.Helper()
		var pe *monitor.ParseError
		if !errors.As(err, &pe) {
			tb.Fatalf("got error %v (%T), want *monitor.ParseError", err, err)
		}
		if pe.Line != line {
			tb.Errorf("got ParseError at line %d (%v), want line %d", pe.Line, err, line)
		}
	}
}

// ggsciWantGGSCIError expects a *ggsci.Error whose message contains msg.
func ggsciWantGGSCIError(msg string) func(testing.TB, error) {
	return func(tb testing.TB, err error) {
		tb.Helper()
		var ge *ggsci.Error
		if !errors.As(err, &ge) {
			tb.Fatalf("got error %v (%T), want *ggsci.Error", err, err)
		}
		if !strings.Contains(ge.Message, msg) {
			tb.Errorf("got Error message %q, want it to contain %q", ge.Message, msg)
		}
	}
}

// ggsciCases lists every fixture with the parser for its command. Cases
// without wantErr compare with testdata/NAME.golden.json.
var ggsciCases = []struct {
	file    string
	parse   ggsciParser
	wantErr func(testing.TB, error)
}{
	{file: "adminclient_info_all_18c_ma.txt", parse: ggsciInfoAll},
	{file: "adminclient_info_all_23ai_type_column_with_groups_COMPOSED.txt", parse: ggsciInfoAll},
	{file: "adminclient_info_all_debug_on_18c.txt", parse: ggsciInfoAll},
	{file: "ggsci_empty_output_COMPOSED.txt", parse: ggsciInfoAll, wantErr: ggsciWantParseError(0)},
	{file: "ggsci_error_group_does_not_exist_COMPOSED.txt", parse: ggsciInfoDetails, wantErr: ggsciWantGGSCIError("EXTRACT EXTX does not exist.")},
	{file: "ggsci_info_all_12.2_banner_prompt.txt", parse: ggsciInfoAll},
	{file: "ggsci_info_all_12.2_manager_stopped_jagent.txt", parse: ggsciInfoAll},
	{file: "ggsci_info_all_19c_stopped_extract_13_groups.txt", parse: ggsciInfoAll},
	{file: "ggsci_info_all_250_groups_generated_COMPOSED.txt", parse: ggsciInfoAll},
	{file: "ggsci_info_all_abended_lag_over_24h.txt", parse: ggsciInfoAll},
	{file: "ggsci_info_all_manager_jagent_pmsrvr.txt", parse: ggsciInfoAll},
	{file: "ggsci_info_all_truncated_COMPOSED.txt", parse: ggsciInfoAll, wantErr: ggsciWantParseError(7)},
	{file: "ggsci_info_all_windows_crlf_COMPOSED.txt", parse: ggsciInfoAll},
	{file: "ggsci_info_extract_classic_redo.txt", parse: ggsciInfoDetails},
	{file: "ggsci_info_extract_detail_integrated_19c.txt", parse: ggsciInfoDetails},
	{file: "ggsci_info_mgr_and_info_all_manager_only_19c.txt", parse: ggsciMgrAndInfoAll},
	{file: "ggsci_info_mgr_down_COMPOSED.txt", parse: ggsciInfoMgr},
	{file: "ggsci_info_mgr_variants.txt", parse: ggsciInfoMgrLines},
	{file: "ggsci_info_replicat_abended_first_record.txt", parse: ggsciInfoDetails},
	{file: "ggsci_info_replicat_detail_abended_integrated.txt", parse: ggsciInfoDetails},
	{file: "ggsci_info_replicat_running_12c.txt", parse: ggsciInfoDetails},
	{file: "ggsci_info_tasks_checkpoint_not_available.txt", parse: ggsciInfoDetails},
	{file: "ggsci_lag_extract_colon_style.txt", parse: ggsciLag},
	{file: "ggsci_lag_replicat_watermarks_ogg14054.txt", parse: ggsciLag},
	{file: "ggsci_lag_variants_COMPOSED.txt", parse: ggsciLag},
	{file: "ggsci_send_extract_status_COMPOSED.txt", parse: ggsciSendStatus},
	{file: "ggsci_send_extract_status_in_recovery_COMPOSED.txt", parse: ggsciSendStatus},
	{file: "ggsci_send_replicat_status_COMPOSED.txt", parse: ggsciSendStatus},
	{file: "ggsci_shared_library_error_COMPOSED.txt", parse: ggsciInfoAll, wantErr: ggsciWantGGSCIError("error while loading shared libraries: libnnz19.so")},
	{file: "ggsci_stats_extract_totalsonly_11g.txt", parse: ggsciStats},
	{file: "ggsci_stats_replicat_21c_pg_casing.txt", parse: ggsciStats},
	{file: "ggsci_stats_replicat_no_active_maps.txt", parse: ggsciStats},
}

func readGGSCIFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatalf("read fixture: %v", err)
	}
	return b
}

func TestGolden(t *testing.T) {
	for _, tc := range ggsciCases {
		if tc.parse == nil {
			continue
		}
		t.Run(tc.file, func(t *testing.T) {
			got, err := tc.parse(bytes.NewReader(readGGSCIFixture(t, tc.file)))
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				if !errors.Is(err, monitor.ErrUnreadable) {
					t.Errorf("got error %v, want one matching ErrUnreadable", err)
				}
				if errors.Is(err, monitor.ErrUnreachable) {
					t.Errorf("got error %v matching ErrUnreachable, want only ErrUnreadable", err)
				}
				tc.wantErr(t, err)
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			golden.Check(t, filepath.Join("testdata", strings.TrimSuffix(tc.file, ".txt")+".golden.json"), got)
		})
	}
}

// TestFixturesCovered fails when a fixture is added to testdata/
// without a case in ggsciCases.
func TestFixturesCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata/")
	}
	for _, f := range files {
		name := filepath.Base(f)
		if !slices.ContainsFunc(ggsciCases, func(c struct {
			file    string
			parse   ggsciParser
			wantErr func(testing.TB, error)
		}) bool {
			return c.file == name
		}) {
			t.Errorf("fixture %s has no case in ggsciCases", name)
		}
	}
}

// TestOtherOutputRejected feeds each parser output of commands it does
// not read: it must answer with an error (a *ParseError, or a *Error
// when that output holds an ERROR line), never an empty success.
func TestOtherOutputRejected(t *testing.T) {
	parsers := map[string]ggsciParser{
		"info all": ggsciInfoAll, "lag": ggsciLag, "info detail": ggsciInfoDetails,
		"info mgr": ggsciInfoMgr, "send status": ggsciSendStatus, "stats": ggsciStats,
	}
	inputs := map[string][]string{ // parser → fixtures from other commands
		"info all": {"ggsci_lag_variants_COMPOSED.txt", "ggsci_info_extract_detail_integrated_19c.txt",
			"ggsci_info_mgr_variants.txt", "ggsci_send_extract_status_COMPOSED.txt"},
		"lag": {"ggsci_info_all_12.2_banner_prompt.txt", "ggsci_send_replicat_status_COMPOSED.txt",
			"ggsci_info_replicat_running_12c.txt"},
		"info detail": {"ggsci_info_all_250_groups_generated_COMPOSED.txt", "ggsci_lag_extract_colon_style.txt",
			"adminclient_info_all_debug_on_18c.txt"},
		"info mgr":    {"ggsci_info_all_12.2_manager_stopped_jagent.txt", "ggsci_lag_variants_COMPOSED.txt"},
		"send status": {"ggsci_info_all_windows_crlf_COMPOSED.txt", "ggsci_lag_replicat_watermarks_ogg14054.txt"},
		"stats":       {"ggsci_info_all_12.2_banner_prompt.txt", "ggsci_lag_variants_COMPOSED.txt"},
	}
	for _, tc := range ggsciCases {
		if strings.HasPrefix(tc.file, "ggsci_stats_") { // STATS output is only ParseStats's
			for name := range parsers {
				if name != "stats" {
					inputs[name] = append(inputs[name], tc.file)
				}
			}
		}
	}
	for name, files := range inputs {
		for _, f := range files {
			t.Run(name+"/"+f, func(t *testing.T) {
				got, err := parsers[name](bytes.NewReader(readGGSCIFixture(t, f)))
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				var pe *monitor.ParseError
				var ge *ggsci.Error
				if !errors.As(err, &pe) && !errors.As(err, &ge) {
					t.Errorf("got %v (%T), want *monitor.ParseError or *ggsci.Error", err, err)
				}
			})
		}
	}
}

func ggsciI64(v int64) *int64 { return &v }

func TestParseInfoAllEdgeCases(t *testing.T) {
	const header = "Program     Status      Group       Lag at Chkpt  Time Since Chkpt\n"
	mgr := monitor.Process{Program: "MANAGER", Status: monitor.StatusRunning}
	tests := []struct {
		name    string
		in      string
		want    []monitor.Process
		wantErr func(testing.TB, error)
	}{
		{
			name: "piped: output on the prompt line, final prompt without newline",
			in:   "GGSCI (h) 1> \n" + header + "\nMANAGER     RUNNING\n\n\nGGSCI (h) 2> ",
			want: []monitor.Process{mgr},
		},
		{
			name: "admin client: header on the prompt line",
			in:   "OGG (http://localhost:16000 Atlanta) 4> " + header + "ADMINSRVR   RUNNING\nEXTRACT     STOPPED     EXT1        00:00:00      00:13:01\n",
			want: []monitor.Process{{Program: "ADMINSRVR", Status: monitor.StatusRunning},
				{Program: "EXTRACT", Group: "EXT1", Status: monitor.StatusStopped, LagSeconds: ggsciI64(0), CheckpointAgeSeconds: ggsciI64(781)}},
		},
		{
			name: "lower-case status, Not Available lag, hours past 24",
			in:   header + "REPLICAT    abended     R1          Not Available 3556:42:28\n",
			want: []monitor.Process{{Program: "REPLICAT", Group: "R1", Status: monitor.StatusAbended, CheckpointAgeSeconds: ggsciI64(3556*3600 + 42*60 + 28)}},
		},
		{
			name: "a program we do not know yet, followed by a known status",
			in:   header + "MANAGER     RUNNING\nFUTURESRVR  STOPPED\n",
			want: []monitor.Process{mgr, {Program: "FUTURESRVR", Status: monitor.StatusStopped}},
		},
		{
			name: "two tables: the last one wins",
			in:   header + "MANAGER     STOPPED\n\nGGSCI (h) 2> start mgr\nManager started.\nGGSCI (h) 3> info all\n" + header + "MANAGER     RUNNING\n",
			want: []monitor.Process{mgr},
		},
		{
			name: "rows after the table belong to another command",
			in:   header + "MANAGER     RUNNING\n\nGGSCI (h) 2> EXTRACT    E1        Last Started 2025-02-18 20:12   Status RUNNING\n",
			want: []monitor.Process{mgr},
		},
		{
			name:    "cut in the time column",
			in:      header + "EXTRACT     RUNNING     EXT1        00:00:01      00:0",
			wantErr: ggsciWantParseError(2),
		},
		{
			name:    "cut after the group",
			in:      header + "MANAGER     RUNNING\nEXTRACT     RUNNING     EXT1",
			wantErr: ggsciWantParseError(3),
		},
		{
			name:    "cut inside the group column leaves EXTRACT without a group",
			in:      header + "EXTRACT     RUNNING   ",
			wantErr: ggsciWantParseError(2),
		},
		{
			name:    "minutes out of range",
			in:      header + "EXTRACT     RUNNING     EXT1        00:61:00      00:00:01\n",
			wantErr: ggsciWantParseError(2),
		},
		{
			name:    "lag on a row without a group",
			in:      header + "MANAGER     RUNNING                 00:00:00      00:00:01\n",
			wantErr: ggsciWantParseError(2),
		},
		{
			name:    "header and nothing else",
			in:      "GGSCI (h) 1> info all\n\n" + header + "\n",
			wantErr: ggsciWantParseError(3),
		},
		{
			name:    "garbage",
			in:      "\x00\xff<html>502 Bad Gateway</html>\nEXTRACT RUNNING\n",
			wantErr: ggsciWantParseError(0),
		},
		{
			name:    "error line",
			in:      "GGSCI (h) 1> \nERROR: Invalid command.\n",
			wantErr: ggsciWantGGSCIError("Invalid command."),
		},
		{
			name:    "error message with OGG code",
			in:      "2024-01-15 10:32:04  ERROR   OGG-01224  Address already in use.\n",
			wantErr: ggsciWantGGSCIError("OGG-01224  Address already in use."),
		},
		{
			name:    "too large",
			in:      header + strings.Repeat("MANAGER     RUNNING\n", 4<<20/20+1),
			wantErr: ggsciWantParseError(0),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ggsci.ParseInfoAll(strings.NewReader(tc.in))
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				if !errors.Is(err, monitor.ErrUnreadable) {
					t.Errorf("got %v, want an error matching ErrUnreadable", err)
				}
				tc.wantErr(t, err)
				return
			}
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if !ggsciProcessesEqual(got, tc.want) {
				t.Errorf("got %s, want %s", ggsciFmtProcesses(got), ggsciFmtProcesses(tc.want))
			}
		})
	}
}

// TestParseInfoAllCRLF checks that CRLF and LF give the same table (gofmt's TestCRLF).
func TestParseInfoAllCRLF(t *testing.T) {
	crlf := readGGSCIFixture(t, "ggsci_info_all_windows_crlf_COMPOSED.txt")
	if !bytes.Contains(crlf, []byte("\r\n")) {
		t.Fatal("fixture lost its CRLF line ends")
	}
	lf := bytes.ReplaceAll(crlf, []byte("\r\n"), []byte("\n"))
	a, err := ggsci.ParseInfoAll(bytes.NewReader(crlf))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ggsci.ParseInfoAll(bytes.NewReader(lf))
	if err != nil {
		t.Fatal(err)
	}
	if !ggsciProcessesEqual(a, b) {
		t.Errorf("CRLF gave %s, LF gave %s", ggsciFmtProcesses(a), ggsciFmtProcesses(b))
	}
}

func TestParseLagEdgeCases(t *testing.T) {
	t.Run("groups named in ERROR lines become entries", func(t *testing.T) {
		got, err := ggsci.ParseLag(bytes.NewReader(readGGSCIFixture(t, "ggsci_error_group_does_not_exist_COMPOSED.txt")))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Group != "EXTX" || got[0].Error != "EXTRACT EXTX does not exist." || got[0].State != "" ||
			got[1].Group != "REP9" || got[1].State != ggsci.LagStateNotRunning {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("an error inside a reply belongs to it", func(t *testing.T) {
		got, err := ggsci.ParseLag(strings.NewReader("Sending GETLAG request to EXTRACT EXT1 ...\nERROR: sending message to EXTRACT EXT1 (Timeout waiting for message).\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Error == "" || got[0].LagSeconds != nil {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("an error naming no group", func(t *testing.T) {
		_, err := ggsci.ParseLag(strings.NewReader("GGSCI (h) 1> \nERROR: Invalid command.\n"))
		ggsciWantGGSCIError("Invalid command.")(t, err)
	})
	t.Run("bad number", func(t *testing.T) {
		_, err := ggsci.ParseLag(strings.NewReader("Sending GETLAG request to EXTRACT EXT1 ...\nLast record lag: many seconds.\n"))
		ggsciWantParseError(2)(t, err)
	})
	t.Run("21c casing", func(t *testing.T) {
		got, err := ggsci.ParseLag(strings.NewReader("Sending GETLAG request to Replicat group RORPSQL ...\nLast record lag 2 seconds.\nAt EOF, no more records to process\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Program != "REPLICAT" || got[0].Group != "RORPSQL" || got[0].LagSeconds == nil || *got[0].LagSeconds != 2 || got[0].State != ggsci.LagStateAtEOF {
			t.Errorf("got %+v", got)
		}
	})
}

func TestParseInfoDetailOneGroup(t *testing.T) {
	// The 19c fixture runs INFO twice for E_PROD: the last reply wins.
	d, err := ggsci.ParseInfoDetail(bytes.NewReader(readGGSCIFixture(t, "ggsci_info_extract_detail_integrated_19c.txt")))
	if err != nil {
		t.Fatal(err)
	}
	if d.Group != "E_PROD" || d.Status != monitor.StatusRunning || d.ProcessID == nil || *d.ProcessID != 78851 || len(d.Trails) != 3 {
		t.Errorf("got %+v", d)
	}
	// INFO for two different groups is not one group's detail.
	_, err = ggsci.ParseInfoDetail(bytes.NewReader(readGGSCIFixture(t, "ggsci_info_tasks_checkpoint_not_available.txt")))
	ggsciWantParseError(0)(t, err)

	_, err = ggsci.ParseInfoDetail(strings.NewReader("EXTRACT    E1        Last Started 2025-02-18 20:12   Status RUNNING\nCheckpoint Lag       00:0x:22 (updated 00:00:06 ago)\n"))
	ggsciWantParseError(2)(t, err)
	_, err = ggsci.ParseInfoDetail(strings.NewReader("EXTRACT    E1        Last Started 2025-02-18 20:12   Status RUNN\n"))
	ggsciWantParseError(1)(t, err)
}

func TestParseInfoMgrEdgeCases(t *testing.T) {
	m, err := ggsci.ParseInfoMgr(strings.NewReader("GGSCI (h) 1> Manager is running (IP port [::1].7809, Process ID 42).\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != monitor.StatusRunning || m.Host != "[::1]" || m.Port != 7809 || m.ProcessID == nil || *m.ProcessID != 42 {
		t.Errorf("got %+v", m)
	}
	_, err = ggsci.ParseInfoMgr(strings.NewReader("Manager is running (IP port ogg1.http).\n"))
	ggsciWantParseError(1)(t, err)
	_, err = ggsci.ParseInfoMgr(strings.NewReader("ERROR: Manager not responding.\n"))
	ggsciWantGGSCIError("not responding")(t, err)
}

func ggsciProcessesEqual(a, b []monitor.Process) bool {
	return slices.EqualFunc(a, b, func(x, y monitor.Process) bool {
		return x.Program == y.Program && x.Group == y.Group && x.Status == y.Status &&
			ggsciPtrEqual(x.LagSeconds, y.LagSeconds) && ggsciPtrEqual(x.CheckpointAgeSeconds, y.CheckpointAgeSeconds)
	})
}

func ggsciPtrEqual(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func ggsciFmtProcesses(ps []monitor.Process) string {
	var sb strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&sb, "[%s %s %s %s]", p.Key(), p.Status, ggsciFmtSeconds(p.LagSeconds), ggsciFmtSeconds(p.CheckpointAgeSeconds))
	}
	return sb.String()
}

func ggsciFmtSeconds(v *int64) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprint(*v)
}

// ggsciFuzzSeeds adds every fixture to f's corpus.
func ggsciFuzzSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// ggsciCheckFuzzError checks what every parser promises about its errors.
func ggsciCheckFuzzError(t *testing.T, err error) {
	if !errors.Is(err, monitor.ErrUnreadable) || errors.Is(err, monitor.ErrUnreachable) {
		t.Fatalf("error %v (%T) does not match ErrUnreadable alone", err, err)
	}
}

func FuzzParseInfoAll(f *testing.F) {
	ggsciFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		ps, err := ggsci.ParseInfoAll(bytes.NewReader(in))
		if err != nil {
			ggsciCheckFuzzError(t, err)
			return
		}
		if len(ps) == 0 {
			t.Fatal("empty table without an error")
		}
		for _, p := range ps {
			switch p.Status {
			case monitor.StatusRunning, monitor.StatusStopped, monitor.StatusAbended,
				monitor.StatusStarting, monitor.StatusKilled, monitor.StatusUnknown:
			default:
				t.Fatalf("status %q is not a Status constant", p.Status)
			}
			if p.Program == "" || (p.LagSeconds != nil && *p.LagSeconds < 0) || (p.CheckpointAgeSeconds != nil && *p.CheckpointAgeSeconds < 0) {
				t.Fatalf("bad process %+v", p)
			}
		}
	})
}

func FuzzParseLag(f *testing.F) {
	ggsciFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		ls, err := ggsci.ParseLag(bytes.NewReader(in))
		if err != nil {
			ggsciCheckFuzzError(t, err)
			return
		}
		if len(ls) == 0 {
			t.Fatal("no lag without an error")
		}
		for _, l := range ls {
			if l.Program == "" || l.Group == "" || (l.LagSeconds != nil && *l.LagSeconds < 0) {
				t.Fatalf("bad lag %+v", l)
			}
		}
	})
}

func FuzzParseInfoDetail(f *testing.F) {
	ggsciFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := ggsci.ParseInfoDetail(bytes.NewReader(in))
		if err != nil {
			ggsciCheckFuzzError(t, err)
		} else if d.Program == "" || d.Group == "" || d.Status == "" {
			t.Fatalf("bad detail %+v", d)
		}
		if _, err := ggsci.ParseSendStatus(bytes.NewReader(in)); err != nil {
			ggsciCheckFuzzError(t, err)
		}
	})
}

func FuzzParseInfoMgr(f *testing.F) {
	ggsciFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := ggsci.ParseInfoMgr(bytes.NewReader(in))
		if err != nil {
			ggsciCheckFuzzError(t, err)
			return
		}
		if m.Status != monitor.StatusRunning && m.Status != monitor.StatusStopped {
			t.Fatalf("bad manager status %q", m.Status)
		}
	})
}

func BenchmarkParseInfoAll(b *testing.B) {
	in := readGGSCIFixture(b, "ggsci_info_all_250_groups_generated_COMPOSED.txt")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		ps, err := ggsci.ParseInfoAll(bytes.NewReader(in))
		if err != nil || len(ps) != 251 {
			b.Fatalf("got %d rows, %v", len(ps), err)
		}
	}
}

func FuzzParseStats(f *testing.F) {
	ggsciFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		stats, err := ggsci.ParseStats(bytes.NewReader(in))
		if err != nil {
			ggsciCheckFuzzError(t, err)
			return
		}
		if len(stats) == 0 {
			t.Fatal("no error and no stats")
		}
	})
}
