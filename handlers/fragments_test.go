package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/simulator"
)

// fleetServer serves a dashboard over n simulator targets, each checked once.
func fleetServer(tb testing.TB, n int) *testServer {
	tb.Helper()
	ts := newTestServer(tb, handlers.Options{})
	ctx := context.Background()
	for i := range n {
		t := monitor.Target{Name: fmt.Sprintf("sim-%04d", i), Kind: monitor.KindSimulator,
			Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
		obs := monitor.Observation{Target: t.Name, Kind: t.Kind, ObservedAt: time.Now()}
		if err := simulator.New(t.Name, time.Now).Observe(ctx, &obs); err != nil {
			tb.Fatal(err)
		}
		if err := ts.Store.Record(ctx, t, obs); err != nil {
			tb.Fatal(err)
		}
	}
	return ts
}

func fetchPart(tb testing.TB, url string) string {
	tb.Helper()
	res, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: got status %d, want 200", url, res.StatusCode)
	}
	return string(b)
}

func TestFragmentReadsTheNamedTargets(t *testing.T) {
	ts := fleetServer(t, 15) // past foldAt: healthy targets are one line
	body := fetchPart(t, ts.URL+"/fragments?alerts=1&target=sim-0003&target=sim-0007&target=nope")
	for _, want := range []string{`id="alerts-section"`, `data-target="sim-0003"`, `data-target="sim-0007"`} {
		if !strings.Contains(body, want) {
			t.Errorf("fragments: %s missing from\n%s", want, body)
		}
	}
	if got := strings.Count(body, "data-target="); got != 2 {
		t.Errorf("fragments: got %d targets, want 2 (the named ones that exist)", got)
	}
	if !strings.Contains(body, `<li class="target-line" data-target="sim-0003"`) {
		t.Errorf("fragments: a healthy target in a fleet of 15 should be a folded line:\n%s", body)
	}
}

func TestFragmentOfTheProblems(t *testing.T) {
	ts := fleetServer(t, 15)
	sick := monitor.Target{Name: "sim-0009", Kind: monitor.KindSimulator, Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	obs := monitor.Observation{Target: sick.Name, Kind: sick.Kind, ObservedAt: time.Now(), Processes: []monitor.Process{
		{Program: "MANAGER", Status: monitor.StatusRunning}, {Program: "REPLICAT", Group: "REP1", Status: monitor.StatusAbended}}}
	if err := ts.Store.Record(context.Background(), sick, obs); err != nil {
		t.Fatal(err)
	}
	body := fetchPart(t, ts.URL+"/fragments?alerts=1&problems=1")
	for _, want := range []string{`id="alerts-section"`, `<div id="problems" data-fold="1">`, `<section class="target sev-crit" data-target="sim-0009"`} {
		if !strings.Contains(body, want) {
			t.Errorf("problems fragment: %s missing from\n%s", want, body)
		}
	}
	if got := strings.Count(body, "data-target="); got != 1 {
		t.Errorf("problems fragment: got %d targets, want 1 (the healthy 14 change only by events)", got)
	}
}

// BenchmarkFragment is what the server spends on one event's fragment
// (the alert table and one target) as the fleet grows. Before the
// fragment read only its targets, it read the whole state.
func BenchmarkFragment(b *testing.B) {
	per := map[int]time.Duration{}
	sizes := []int{10, 500, 1000}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			ts := fleetServer(b, n)
			url := fmt.Sprintf("%s/fragments?alerts=1&target=sim-%04d", ts.URL, n/2)
			b.ResetTimer()
			for b.Loop() {
				fetchPart(b, url)
			}
			per[n] = b.Elapsed() / time.Duration(b.N)
		})
	}
	if per[10] > 0 {
		for _, n := range sizes[1:] {
			b.Logf("fragment at %d targets / at 10: %.2f× (%v against %v)", n, float64(per[n])/float64(per[10]), per[n], per[10])
		}
	}
}
