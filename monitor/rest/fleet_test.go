package rest_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/rest"
	"github.com/syncmon/syncmon/monitor/rest/resttest"
)

func fleetTarget(url string) monitor.Target {
	return monitor.Target{Name: "fleet", Kind: monitor.KindREST, ServiceManagerURL: url,
		Username: resttest.Username, Password: resttest.Password}
}

func observe(t *testing.T, f *rest.Fleet) monitor.Observation {
	t.Helper()
	var obs monitor.Observation
	if err := f.Observe(context.Background(), &obs); err != nil {
		t.Fatal(err)
	}
	return obs
}

func TestFleetObserve(t *testing.T) {
	sm := resttest.New(t)
	f, err := rest.NewFleet(fleetTarget(sm.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	obs := observe(t, f)
	if got, want := len(obs.Services), 4; got != want {
		t.Fatalf("got %d services, want %d: %+v", got, want, obs.Services)
	}
	for _, s := range obs.Services {
		if s.Deployment != resttest.Deployment || s.Status != monitor.StatusRunning || s.Port == 0 {
			t.Errorf("service %+v", s)
		}
	}
	groups := map[string]monitor.Process{}
	for _, p := range obs.Processes {
		if p.Deployment != resttest.Deployment {
			t.Errorf("process %+v has no deployment", p)
		}
		groups[p.Program+" "+p.Group] = p
	}
	for _, k := range []string{"ADMINSRVR dep1", "DISTSRVR dep1", "RECVSRVR dep1", "PMSRVR dep1", "EXTRACT EXT1", "REPLICAT REP2"} {
		if _, ok := groups[k]; !ok {
			t.Errorf("no process %s in %v", k, groups)
		}
	}
	paths := map[string]monitor.Path{}
	for _, p := range obs.Paths {
		paths[p.Kind+" "+p.Name] = p
	}
	if len(paths) != 5 {
		t.Fatalf("got paths %+v, want 3 distribution and 2 receiver", obs.Paths)
	}
	if p := paths["distribution dpeast2west"]; p.Status != monitor.StatusRunning || p.Source != "EEAST" || p.LagSeconds == nil || *p.LagSeconds != 2 ||
		p.Target != "wss://tgthost:9103/services/v2/targets?trail=ra" {
		t.Errorf("got %+v", p)
	}
	if p := paths["distribution dp-archive.01"]; p.Status != monitor.StatusStopped {
		t.Errorf("got %+v, want STOPPED", p)
	}
	if p := paths["receiver dpnorth2west"]; p.Status != monitor.StatusRunning || p.LagSeconds != nil {
		t.Errorf("got %+v, want RUNNING without lag", p)
	}
	if len(obs.Heartbeats) != 2 || obs.Heartbeats[1].AgeSeconds < 900 || obs.Heartbeats[0].Deployment != resttest.Deployment {
		t.Errorf("got heartbeats %+v", obs.Heartbeats)
	}
	if len(obs.Transactions) != 2 || obs.Transactions[0].XID != "12.7.40251" || obs.Transactions[0].Process != "EXT1" {
		t.Errorf("got transactions %+v", obs.Transactions)
	}
	fs := monitor.Findings(fleetTarget(sm.URL), obs, obs.ObservedAt)
	if len(fs) != 1 || fs[0].Rule != monitor.RulePathStatus || fs[0].Group != "dp-archive.01" {
		t.Errorf("got findings %+v, want path_status of dp-archive.01", fs)
	}

	// The Distribution Service stops: its paths are not asked for, and
	// service_status holds them.
	sm.SetService("distsrvr", "stopped")
	f2, _ := rest.NewFleet(fleetTarget(sm.URL))
	obs = observe(t, f2)
	for _, p := range obs.Paths {
		if p.Kind == monitor.PathDistribution {
			t.Errorf("distribution path %s read from a stopped service", p.Name)
		}
	}
	ev := monitor.Findings(fleetTarget(sm.URL), obs, obs.ObservedAt)
	if len(ev) != 1 || ev[0].Rule != monitor.RuleServiceStatus || ev[0].Program != "DISTSRVR" {
		t.Errorf("got findings %+v, want service_status DISTSRVR", ev)
	}
}

func TestFleetServiceNotAnswering(t *testing.T) {
	sm := resttest.New(t)
	sm.Crash("adminsrvr")
	f, _ := rest.NewFleet(fleetTarget(sm.URL))
	obs := observe(t, f)
	for _, s := range obs.Services {
		if want := map[bool]string{true: monitor.StatusUnknown, false: monitor.StatusRunning}[s.Name == "ADMINSRVR"]; s.Status != want {
			t.Errorf("%s is %s, want %s", s.Name, s.Status, want)
		}
	}
	for _, p := range obs.Processes {
		if p.Program == "EXTRACT" || p.Program == "REPLICAT" {
			t.Errorf("%s read from a service that does not answer", p.Key())
		}
	}
	if len(obs.Paths) != 5 {
		t.Errorf("got %d paths, want 5: the other services still answer", len(obs.Paths))
	}
}

// Without a running PM service, the running Extracts' transactions are
// unread: their long_transaction alerts stay as they are.
func TestFleetWithoutPMService(t *testing.T) {
	sm := resttest.New(t)
	sm.SetService("pmsrvr", "stopped")
	f, _ := rest.NewFleet(fleetTarget(sm.URL))
	obs := observe(t, f)
	var groups []string
	for _, u := range obs.Unread {
		if u.Source != monitor.SourceTransactions || u.Program != "EXTRACT" {
			t.Errorf("unread %+v", u)
		}
		groups = append(groups, u.Group)
	}
	if strings.Join(groups, ",") != "EXT1,EXT2,PMP1" || len(obs.Transactions) != 0 {
		t.Errorf("unread %q, transactions %+v; want EXT1, EXT2, PMP1 unread and none read", groups, obs.Transactions)
	}
}

func TestFleetFailures(t *testing.T) {
	sm := resttest.New(t)
	bad := fleetTarget(sm.URL)
	bad.Password = "wrong"
	f, _ := rest.NewFleet(bad)
	var obs monitor.Observation
	if err := f.Observe(context.Background(), &obs); !errors.Is(err, monitor.ErrCredentials) {
		t.Errorf("wrong password: got %v, want ErrCredentials", err)
	}
	for name, body := range map[string]string{
		"html":      "<html><title>502 Bad Gateway</title></html>",
		"truncated": `{"response":{"items":[{"name":"dep`,
		"garbage":   "\x00\x01 not json",
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
		f, _ := rest.NewFleet(fleetTarget(srv.URL))
		var obs monitor.Observation
		if err := f.Observe(context.Background(), &obs); !errors.Is(err, monitor.ErrUnreadable) {
			t.Errorf("%s: got %v, want ErrUnreadable", name, err)
		}
		srv.Close()
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	f, _ = rest.NewFleet(fleetTarget(srv.URL))
	if err := f.Observe(context.Background(), &obs); !errors.Is(err, monitor.ErrUnreadable) {
		t.Errorf("404: got %v, want ErrUnreadable", err)
	}
}

// memOffsets is an in-memory monitor.OffsetStore.
type memOffsets struct {
	mu sync.Mutex
	m  map[string]monitor.ErrLogOffset
}

func (s *memOffsets) LoadOffset(_ context.Context, k string) (monitor.ErrLogOffset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k], nil
}

func (s *memOffsets) SaveOffset(_ context.Context, k string, off monitor.ErrLogOffset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = off
	return nil
}

type sink struct {
	changed int
	entries []monitor.LogEntry
}

func (s *sink) Log(_ context.Context, e []monitor.LogEntry) error {
	s.entries = append(s.entries, e...)
	return nil
}
func (s *sink) Changed() { s.changed++ }

func TestEventsCursor(t *testing.T) {
	sm := resttest.New(t)
	st := &memOffsets{m: map[string]monitor.ErrLogOffset{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func() *rest.Events {
		f, _ := rest.NewFleet(fleetTarget(sm.URL))
		observe(t, f) // the first check finds the PM service
		return f.Events(st, log)
	}
	ev := start()
	var s sink
	poll := func(ev *rest.Events) {
		t.Helper()
		if err := ev.Poll(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
	}
	poll(ev)
	if s.changed != 0 || len(s.entries) != 0 {
		t.Fatalf("first poll replayed history: %+v", s)
	}
	sm.StatusChange("EXT1", "Extract", "Abend")
	sm.Message("EXT1", "GGError", "OGG-01668", "PROCESS ABENDING.")
	poll(ev)
	if s.changed != 1 || len(s.entries) != 1 || s.entries[0].Code != "OGG-01668" || s.entries[0].Severity != "ERROR" || s.entries[0].Group != "EXT1" {
		t.Fatalf("got %+v, want one change and the OGG-01668 error", s)
	}
	poll(ev)
	if s.changed != 1 || len(s.entries) != 1 {
		t.Fatalf("a second poll repeated: %+v", s)
	}

	// SyncMon restarts: what happened while it was down is new, nothing older.
	sm.StatusChange("REP1", "Replicat", "Killed")
	ev = start()
	poll(ev)
	if s.changed != 2 || len(s.entries) != 1 {
		t.Fatalf("after restart got %+v, want one more change and no old message", s)
	}
	if k := "rest-events:fleet/dep1/statusChanges"; st.m[k].Offset != 42+1 {
		t.Errorf("cursor %s = %d, want 43 (id 42 + 1)", k, st.m[k].Offset)
	}
}

// Without the PM message log, messages come from the Administration
// Service's list, still without replaying old ones.
func TestEventsAdminMessages(t *testing.T) {
	sm := resttest.New(t)
	sm.DropPMMessages()
	f, _ := rest.NewFleet(fleetTarget(sm.URL))
	observe(t, f)
	ev := f.Events(&memOffsets{m: map[string]monitor.ErrLogOffset{}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var s sink
	if err := ev.Poll(context.Background(), &s); err != nil || len(s.entries) != 0 {
		t.Fatalf("first poll: %v, %+v: want the baseline only", err, s.entries)
	}
	sm.Message("REP1", "GGError", "OGG-01668", "PROCESS ABENDING.")
	if err := ev.Poll(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.entries) != 1 || s.entries[0].Code != "OGG-01668" || s.entries[0].Severity != "ERROR" || !strings.Contains(s.entries[0].Message, "dep1: REP1") {
		t.Fatalf("got %+v, want the OGG-01668 error of REP1 in dep1", s.entries)
	}
}
