package handlers_test

import (
	"context"
	"database/sql"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/simulator"
)

// /metrics after a simulator run: parsed with the Prometheus text parser.
func TestMetricsExposeOGGAndDelivery(t *testing.T) {
	m := handlers.NewMetrics()
	ts := newTestServer(t, handlers.Options{Metrics: m})
	target := monitor.Target{Name: "demo", Kind: monitor.KindSimulator, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	sim := monitor.Check{Target: target, Collector: monitor.CollectorFunc(func(context.Context) ([]monitor.Process, error) {
		return simulator.Processes(30 * time.Second), nil // REP1 abended
	})}
	obs := monitor.RunCheck(context.Background(), sim, time.Now)
	m.ObserveCheck(obs, 20*time.Millisecond)
	if err := ts.Store.Record(context.Background(), target, obs); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	for _, name := range []string{"syncmon_ogg_process_up", "syncmon_ogg_lag_seconds", "syncmon_ogg_checkpoint_age_seconds",
		"syncmon_check_duration_seconds", "syncmon_check_failures_total", "syncmon_alerts_active", "syncmon_clients_connected",
		"syncmon_subscribers_dropped_total", "syncmon_store_write_duration_seconds", "syncmon_delivery_latency_seconds",
		"syncmon_events_delivered_total"} {
		if _, ok := families[name]; !ok {
			t.Errorf("metric %s missing", name)
		}
	}
	up := families["syncmon_ogg_process_up"]
	found := false
	for _, m := range up.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["target"] == "demo" && labels["program"] == "REPLICAT" && labels["group"] == "REP1" {
			found = true
			if m.GetGauge().GetValue() != 0 || labels["status"] != "ABENDED" {
				t.Errorf("REP1 up = %v status %s, want 0 ABENDED", m.GetGauge().GetValue(), labels["status"])
			}
		}
	}
	if !found {
		t.Error("no syncmon_ogg_process_up for demo/REPLICAT/REP1")
	}
	if got := families["syncmon_check_duration_seconds"].GetMetric()[0].GetHistogram().GetSampleCount(); got != 1 {
		t.Errorf("check duration samples = %d, want 1", got)
	}
}

// /readyz fails while the database takes no writes (another process holds
// it locked) and recovers when it does; /healthz stays up.
func TestReadyzFailsWhenDatabaseUnwritable(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	get := func(path string) int {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("/readyz"); got != 200 {
		t.Fatalf("readyz = %d, want 200", got)
	}
	lock, err := sql.Open("sqlite3", "file:"+ts.DBPath+"?_txlock=exclusive&_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	tx, err := lock.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO health (id, at) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET at = 'x'`); err != nil {
		t.Fatal(err)
	}
	if got := get("/readyz"); got != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database locked = %d, want 503", got)
	}
	if got := get("/healthz"); got != 200 {
		t.Fatalf("healthz = %d, want 200 (the process is alive)", got)
	}
	tx.Rollback()
	if got := get("/readyz"); got != 200 {
		t.Fatalf("readyz after unlock = %d, want 200", got)
	}
}
