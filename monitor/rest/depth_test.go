package rest_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/internal/golden"
	"github.com/syncmon/syncmon/monitor/rest"
)

// depthNow is the clock every golden file was written with.
var depthNow = time.Date(2024, 5, 14, 12, 0, 0, 0, time.UTC)

// depthParser is one parser under test, with the fixtures it must read.
type depthParser struct {
	name     string
	parse    func([]byte, time.Time) (any, error)
	fixtures []string
}

func depthWrap[T any](f func([]byte, time.Time) (T, error)) func([]byte, time.Time) (any, error) {
	return func(b []byte, now time.Time) (any, error) { return f(b, now) }
}

func depthParsers() []depthParser {
	return []depthParser{
		{"deployment_list", depthWrap(rest.ParseDeploymentList), []string{"ma_deployments_list_COMPOSED.json"}},
		{"service_list", depthWrap(rest.ParseServiceList), []string{"ma_deployment_services_list_COMPOSED.json"}},
		{"service_detail", depthWrap(rest.ParseServiceDetail), []string{"ma_deployment_service_distsrvr_stopped_COMPOSED.json", "ma_deployment_service_adminsrvr_running_COMPOSED.json"}},
		{"distribution_paths", depthWrap(rest.ParseDistributionPaths), []string{"ma_sources_list_COMPOSED.json", "ma_sources_list_with_status_COMPOSED.json"}},
		{"receiver_paths", depthWrap(rest.ParseReceiverPaths), []string{"ma_targets_list_COMPOSED.json"}},
		{"path_detail", depthWrap(rest.ParsePathDetail), []string{"ma_sources_path_detail_running_COMPOSED.json"}},
		{"path_info", depthWrap(rest.ParsePathInfo), []string{"ma_sources_path_info_COMPOSED.json", "ma_sources_path_info_never_started_COMPOSED.json"}},
		{"heartbeats", depthWrap(rest.ParseHeartbeats), []string{"ma_connections_heartbeatdata_COMPOSED.json", "ma_mpoints_heartbeat_distsrvr_doc_example.json"}},
		{"inflight", depthWrap(rest.ParseInflightTransactions), []string{"ma_mpoints_current_inflight_transactions_COMPOSED.json", "ma_mpoints_current_inflight_transactions_none_COMPOSED.json"}},
		{"last_id", depthWrap(rest.ParseLastID), []string{"ma_monitoring_laststatuschangeid_doc_example.json", "ma_monitoring_lastmessageid_23ai_doc_string_id.json"}},
		{"status_changes", depthWrap(rest.ParseStatusChanges), []string{"ma_monitoring_statuschanges_list_COMPOSED.json", "ma_monitoring_statuschange_single_string_id_COMPOSED.json"}},
		{"event_messages", depthWrap(rest.ParseEventMessages), []string{"ma_monitoring_messages_12.3_doc_example.json", "ma_messages_COMPOSED.json"}},
	}
}

// depthBadBodies are what a proxy or a refusing server sends: every parser
// must turn each into an unreadable error (event_messages reads the 404's
// messages-only body as no messages).
var depthBadBodies = []string{
	"ma_extract_not_found_404_COMPOSED.json",
	"ma_http_401_unauthorized_COMPOSED.txt",
	"ma_reverse_proxy_502_html_COMPOSED.html",
	"ma_truncated_body_COMPOSED.json",
}

// depthResult is what a golden file records.
type depthResult struct {
	Result     any    `json:"result,omitempty"`
	Error      string `json:"error,omitempty"`
	Unreadable bool   `json:"unreadable,omitempty"`
}

func depthFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "depth", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDepthGolden(t *testing.T) {
	for _, p := range depthParsers() {
		for _, fx := range append(append([]string{}, p.fixtures...), depthBadBodies...) {
			t.Run(p.name+"/"+fx, func(t *testing.T) {
				got, err := p.parse(depthFixture(t, fx), depthNow)
				var r depthResult
				if err != nil {
					r.Error, r.Unreadable = err.Error(), errors.Is(err, monitor.ErrUnreadable)
					if !r.Unreadable {
						t.Errorf("error %v does not match ErrUnreadable", err)
					}
				} else {
					r.Result = got
				}
				isBad := !strings.Contains(strings.Join(p.fixtures, " "), fx)
				if isBad && err == nil && !(p.name == "event_messages" && strings.Contains(fx, "404")) {
					t.Errorf("bad body %s parsed without error: %+v", fx, got)
				}
				if !isBad && err != nil {
					t.Errorf("fixture %s: %v", fx, err)
				}
				base := strings.TrimSuffix(fx, filepath.Ext(fx))
				golden.Check(t, filepath.Join("testdata", "depth", p.name, base+".golden.json"), r)
			})
		}
	}
}

// TestDepthFixturesCovered fails when a fixture in testdata/depth is read by no parser.
func TestDepthFixturesCovered(t *testing.T) {
	used := map[string]bool{}
	for _, p := range depthParsers() {
		for _, fx := range p.fixtures {
			used[fx] = true
		}
	}
	for _, fx := range depthBadBodies {
		used[fx] = true
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "depth", "ma_*"))
	for _, f := range files {
		if !used[filepath.Base(f)] {
			t.Errorf("fixture %s is used by no golden test", f)
		}
	}
}

func TestServiceDetailPortAndStatus(t *testing.T) {
	d, err := rest.ParseServiceDetail(depthFixture(t, "ma_deployment_service_distsrvr_stopped_COMPOSED.json"), depthNow)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != monitor.StatusStopped || d.Port != 9013 {
		t.Errorf("got %+v, want STOPPED on 9013", d)
	}
	for in, want := range map[string]string{"adminsrvr": "ADMINSRVR", "DistServer": "DISTSRVR", "recvsrvr": "RECVSRVR", "pmsrvr": "PMSRVR", "x": "X"} {
		if got := rest.ServiceProgram(in); got != want {
			t.Errorf("ServiceProgram(%q) = %q, want %q", in, got, want)
		}
	}
	for _, port := range []string{`0`, `70000`, `"9012"`, `9012.5`, `null`} {
		body := `{"response":{"status":"running","config":{"network":{"serviceListeningPort":` + port + `}}}}`
		if d, err := rest.ParseServiceDetail([]byte(body), depthNow); err != nil || d.Port != 0 {
			t.Errorf("port %s: got %+v, %v; want port 0", port, d, err)
		}
	}
}

func TestPathInfoJoinsPath(t *testing.T) {
	p, err := rest.ParsePathDetail(depthFixture(t, "ma_sources_path_detail_running_COMPOSED.json"), depthNow)
	if err != nil {
		t.Fatal(err)
	}
	info, err := rest.ParsePathInfo(depthFixture(t, "ma_sources_path_info_COMPOSED.json"), depthNow)
	if err != nil {
		t.Fatal(err)
	}
	p = rest.ApplyPathInfo(p, info)
	if p.Status != monitor.StatusRunning || p.Source != "EEAST" || p.Target != "wss://tgthost:9103/services/v2/targets?trail=ra" ||
		p.LagSeconds == nil || *p.LagSeconds != 2 || p.CheckpointAgeSeconds == nil || *p.CheckpointAgeSeconds != 1 {
		t.Errorf("joined path = %+v", p)
	}
	never, err := rest.ParsePathInfo(depthFixture(t, "ma_sources_path_info_never_started_COMPOSED.json"), depthNow)
	if err != nil || never.LastStarted != nil {
		t.Errorf("never started: %+v, %v; want LastStarted nil", never, err)
	}
}

func TestHeartbeatUnitsAndOrientation(t *testing.T) {
	hb, err := rest.ParseHeartbeats(depthFixture(t, "ma_mpoints_heartbeat_distsrvr_doc_example.json"), depthNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(hb) != 2 || hb[0].LagSeconds != 3.175 || hb[0].AgeSeconds != 25.023 || hb[0].Path != "pathE1toR2" {
		t.Errorf("mpoints heartbeats (ms) = %+v", hb)
	}
	hb, err = rest.ParseHeartbeats(depthFixture(t, "ma_connections_heartbeatdata_COMPOSED.json"), depthNow)
	if err != nil {
		t.Fatal(err)
	}
	hb[0].From, hb[0].To = "WEST", "EAST"
	rest.OrientHeartbeats(hb, "west")
	if hb[0].Direction != monitor.HeartbeatOutgoing || hb[1].Direction != monitor.HeartbeatIncoming {
		t.Errorf("oriented = %+v", hb)
	}
	if _, err := rest.ParseHeartbeats([]byte(`{"response":{"heartbeats":[{"source":"A"}]}}`), depthNow); !errors.Is(err, monitor.ErrUnreadable) {
		t.Errorf("row without lag: err = %v, want unreadable", err)
	}
}

func TestInflightAges(t *testing.T) {
	loc := time.FixedZone("host", 2*3600)
	now := time.Date(2024, 5, 14, 12, 0, 0, 0, loc)
	tx, err := rest.ParseInflightTransactions(depthFixture(t, "ma_mpoints_current_inflight_transactions_COMPOSED.json"), now)
	if err != nil {
		t.Fatal(err)
	}
	// 07:58:02 host time, read in now's zone: 4h01m58s before 12:00.
	if len(tx) != 2 || tx[0].XID != "12.7.40251" || tx[0].AgeSeconds == nil || *tx[0].AgeSeconds != 4*3600+118 || tx[0].Items != nil {
		t.Errorf("transactions = %+v", tx)
	}
	tx, err = rest.ParseInflightTransactions([]byte(`{"response":{"currentInflightTransactions":[{"xid":"1.2.3","startTime":"2099-01-01:00:00:00"}]}}`), now)
	if err != nil || *tx[0].AgeSeconds != 0 {
		t.Errorf("future start: %+v, %v; want age 0", tx, err)
	}
	none, err := rest.ParseInflightTransactions(depthFixture(t, "ma_mpoints_current_inflight_transactions_none_COMPOSED.json"), now)
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("none: %v, %v; want empty non-nil", none, err)
	}
}

func TestEventsAfterCursor(t *testing.T) {
	ch, err := rest.ParseStatusChanges(depthFixture(t, "ma_monitoring_statuschanges_list_COMPOSED.json"), depthNow)
	if err != nil {
		t.Fatal(err)
	}
	after, reset := rest.EventsAfter(ch, 43, 46)
	var ids []int64
	for _, c := range after {
		ids = append(ids, c.ID)
	}
	if reset || !reflect.DeepEqual(ids, []int64{44, 45, 46}) {
		t.Errorf("after 43: ids %v reset %v, want [44 45 46] false", ids, reset)
	}
	if after, reset := rest.EventsAfter(ch, 500, 46); !reset || len(after) != 0 {
		t.Errorf("lastId below cursor: %v reset %v, want none and reset", after, reset)
	}
	if ch[2].Status != monitor.StatusAbended || ch[2].OGGStatus != "Abend" || ch[2].Process != "REAST" {
		t.Errorf("abend change = %+v", ch[2])
	}
	msgs, err := rest.ParseEventMessages(depthFixture(t, "ma_messages_COMPOSED.json"), depthNow)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[1].Process != "REP1" || msgs[2].Code != "OGG-01668" || msgs[2].Severity != "ERROR" {
		t.Errorf("messages = %+v", msgs)
	}
	got, _ := rest.EventsAfter(msgs, 0, 0)
	if len(got) != 0 {
		t.Errorf("id-less messages after cursor 0: %v; the caller must dedupe them by other means", got)
	}
}

// depthFuzz checks the promises every parser makes on any input: no panic,
// errors match ErrUnreadable, and a result marshals to JSON.
func depthFuzz[T any](f *testing.F, parse func([]byte, time.Time) (T, error)) {
	files, _ := filepath.Glob(filepath.Join("testdata", "depth", "ma_*"))
	for _, file := range files {
		f.Add(depthFixture(f, filepath.Base(file)))
	}
	f.Add([]byte(`{"response":{"items":[{"name":"a","status":7}],"heartbeats":[{"heartbeatLag":"1e400","heartbeatAge":"-0"}],"lastId":"9e18"}}`))
	f.Add([]byte(`{"response":[{"identifier":"x"}]}`))
	f.Add([]byte(`{"response":{"statusChange":null,"currentInflightTransactions":[{"xid":"1","startTime":"2024-99-99:00:00:00","redoThread":1e30}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parse(body, depthNow)
		if err != nil {
			if !errors.Is(err, monitor.ErrUnreadable) {
				t.Fatalf("error %v does not match ErrUnreadable", err)
			}
			return
		}
		if _, err := json.Marshal(got); err != nil {
			t.Fatalf("result does not marshal: %v", err)
		}
	})
}

func FuzzParseDeploymentList(f *testing.F)       { depthFuzz(f, rest.ParseDeploymentList) }
func FuzzParseServiceList(f *testing.F)          { depthFuzz(f, rest.ParseServiceList) }
func FuzzParseServiceDetail(f *testing.F)        { depthFuzz(f, rest.ParseServiceDetail) }
func FuzzParseDistributionPaths(f *testing.F)    { depthFuzz(f, rest.ParseDistributionPaths) }
func FuzzParseReceiverPaths(f *testing.F)        { depthFuzz(f, rest.ParseReceiverPaths) }
func FuzzParsePathDetail(f *testing.F)           { depthFuzz(f, rest.ParsePathDetail) }
func FuzzParsePathInfo(f *testing.F)             { depthFuzz(f, rest.ParsePathInfo) }
func FuzzParseHeartbeats(f *testing.F)           { depthFuzz(f, rest.ParseHeartbeats) }
func FuzzParseInflightTransactions(f *testing.F) { depthFuzz(f, rest.ParseInflightTransactions) }
func FuzzParseLastID(f *testing.F)               { depthFuzz(f, rest.ParseLastID) }
func FuzzParseStatusChanges(f *testing.F)        { depthFuzz(f, rest.ParseStatusChanges) }
func FuzzParseEventMessages(f *testing.F)        { depthFuzz(f, rest.ParseEventMessages) }
