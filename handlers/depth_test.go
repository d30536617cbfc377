package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/simulator"
)

// A target's paths, services, heartbeats and open transactions reach
// /api/state, the target page (tables and heartbeat charts) and /metrics.
func TestDepthOnStatePageAndMetrics(t *testing.T) {
	ts := newTestServer(t, handlers.Options{Metrics: handlers.NewMetrics()})
	target := monitor.Target{Name: "demo", Kind: monitor.KindSimulator, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	now := time.Now()
	sim := simulator.New("demo", func() time.Time { return now })
	var obs monitor.Observation
	if err := sim.Observe(context.Background(), &obs); err != nil {
		t.Fatal(err)
	}
	obs.Target, obs.Kind, obs.ObservedAt = "demo", monitor.KindSimulator, now
	obs.Services = []monitor.Service{{Deployment: "east", Name: "DISTSRVR", Status: monitor.StatusRunning}}
	obs.Paths = append(obs.Paths, monitor.Path{Deployment: "east", Name: "dp-stopped", Kind: monitor.PathReceiver, Status: monitor.StatusStopped})
	if err := ts.Store.Record(context.Background(), target, obs); err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: status %d\n%s", path, resp.StatusCode, b)
		}
		return string(b)
	}

	var state struct {
		Targets []struct {
			Name         string                `json:"name"`
			Paths        []monitor.Path        `json:"paths"`
			Services     []monitor.Service     `json:"services"`
			Heartbeats   []monitor.Heartbeat   `json:"heartbeats"`
			Transactions []monitor.Transaction `json:"transactions"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(get("/api/state")), &state); err != nil {
		t.Fatal(err)
	}
	if tg := state.Targets[0]; len(tg.Paths) != 2 || len(tg.Services) != 1 || len(tg.Heartbeats) != 1 || len(tg.Transactions) != 1 {
		t.Fatalf("/api/state target = %+v", tg)
	}

	page := get("/targets/demo")
	for _, want := range []string{`data-path="east receiver dp-stopped"`, "dpeast2west", "wss://west.example:9103/services/v2/targets?trail=rt",
		`data-service="east DISTSRVR"`, "EXT1 ==&gt; dpeast2west ==&gt; REP1", "5.15.930", "Heartbeat lag", "Open transactions"} {
		if !strings.Contains(page, want) {
			t.Errorf("target page lacks %q", want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/targets/demo", nil)
	req.Header.Set("Accept-Language", "ko")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ko, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"복제 경로", "하트비트 지연", "진행 중인 트랜잭션"} {
		if !strings.Contains(string(ko), want) {
			t.Errorf("Korean target page lacks %q", want)
		}
	}

	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(get("/metrics")))
	if err != nil {
		t.Fatal(err)
	}
	up := map[string]float64{}
	for _, m := range families["syncmon_ogg_path_up"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		up[labels["target"]+"/"+labels["deployment"]+"/"+labels["kind"]+"/"+labels["path"]] = m.GetGauge().GetValue()
	}
	if up["demo//distribution/dpeast2west"] != 1 || up["demo/east/receiver/dp-stopped"] != 0 || len(up) != 2 {
		t.Errorf("syncmon_ogg_path_up = %v", up)
	}
	if n := len(families["syncmon_ogg_path_lag_seconds"].GetMetric()); n != 1 {
		t.Errorf("syncmon_ogg_path_lag_seconds has %d series, want 1 (the stopped path reports no lag)", n)
	}
}
