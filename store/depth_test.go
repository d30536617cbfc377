package store_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

func fleetObs(deps []string, paths ...monitor.Path) monitor.Observation {
	obs := monitor.Observation{Target: "fleet", Kind: "rest", ObservedAt: time.Now(), Services: []monitor.Service{}, Paths: paths,
		Heartbeats: []monitor.Heartbeat{{Deployment: "east", Direction: monitor.HeartbeatIncoming, From: "EAST", To: "WEST", Path: "E1 ==> R1", LagSeconds: 4.6, AgeSeconds: 30}}}
	if obs.Paths == nil {
		obs.Paths = []monitor.Path{}
	}
	for _, d := range deps {
		for _, svc := range []string{"ADMINSRVR", "DISTSRVR"} {
			obs.Services = append(obs.Services, monitor.Service{Deployment: d, Name: svc, Status: monitor.StatusRunning})
			obs.Processes = append(obs.Processes, monitor.Process{Program: svc, Group: d, Status: monitor.StatusRunning, Deployment: d})
		}
	}
	return obs
}

// Services, paths and heartbeats reach the snapshot, and a deployment or
// path that comes, goes or changes status is a target.status event.
func TestDepthInStateAndTargetStatus(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "d.db"))
	lag := int64(3)
	dp := monitor.Path{Deployment: "east", Name: "dp1", Kind: monitor.PathDistribution, Status: monitor.StatusRunning, LagSeconds: &lag}
	steps := []struct {
		name   string
		obs    monitor.Observation
		events int64
	}{
		{"first check", fleetObs([]string{"east"}), 1},
		{"the same", fleetObs([]string{"east"}), 0},
		{"west appears", fleetObs([]string{"east", "west"}), 1},
		{"west goes away", fleetObs([]string{"east"}), 1},
		{"a path appears", fleetObs([]string{"east"}, dp), 1},
		{"its lag changes: no news", fleetObs([]string{"east"}, func() monitor.Path { p := dp; l := int64(9); p.LagSeconds = &l; return p }()), 0},
	}
	for _, st := range steps {
		before := s.Head()
		record(t, s, st.obs)
		if got := s.Head() - before; got != st.events {
			t.Fatalf("%s: %d events, want %d", st.name, got, st.events)
		}
	}
	state, err := s.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tg := state.Targets[0]
	if tg.Paths == nil || len(*tg.Paths) != 1 || *(*tg.Paths)[0].LagSeconds != 9 || tg.Services == nil || len(*tg.Services) != 2 ||
		tg.Heartbeats == nil || len(*tg.Heartbeats) != 1 || tg.Transactions != nil {
		t.Fatalf("state = %+v", tg)
	}
	for _, p := range tg.Processes {
		if p.Deployment != "east" {
			t.Errorf("process %s lost its deployment", p.Key())
		}
	}
	b, _ := json.Marshal(tg)
	for _, want := range []string{`"paths":[`, `"services":[`, `"heartbeats":[`, `"deployment":"east"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
	if strings.Contains(string(b), `"transactions"`) {
		t.Errorf("transactions were not asked, yet present: %s", b)
	}
	series, err := s.Samples(context.Background(), "fleet", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, sr := range series {
		found[sr.Program+" "+sr.Group] = true
	}
	if !found["DISTPATH dp1"] || !found[monitor.ProgramHeartbeat+" E1 ==> R1"] {
		t.Errorf("samples %v, want the path's and the heartbeat's", found)
	}
}
