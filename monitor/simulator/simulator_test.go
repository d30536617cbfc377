package simulator_test

import (
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/simulator"
)

func TestSimulatorScenario(t *testing.T) {
	status := func(at time.Duration, group string) (string, int64) {
		for _, p := range simulator.Processes(at) {
			if p.Group == group {
				lag := int64(-1)
				if p.LagSeconds != nil {
					lag = *p.LagSeconds
				}
				return p.Status, lag
			}
		}
		t.Fatalf("no group %s", group)
		return "", 0
	}
	if s, _ := status(5*time.Second, "REP1"); s != monitor.StatusRunning {
		t.Fatalf("REP1 at 5s = %s", s)
	}
	if s, _ := status(25*time.Second, "REP1"); s != monitor.StatusAbended {
		t.Fatalf("REP1 at 25s = %s, want ABENDED within 30 s", s)
	}
	if s, _ := status(85*time.Second, "REP1"); s != monitor.StatusRunning {
		t.Fatalf("REP1 at 85s = %s, want recovered", s)
	}
	if _, lag := status(130*time.Second, "EXT2"); lag < 60 {
		t.Fatalf("EXT2 lag at 130s = %d, want over the 60 s warning", lag)
	}
	if _, lag := status(2*simulator.Cycle+130*time.Second, "EXT2"); lag < 300 {
		t.Fatalf("EXT2 lag in the third cycle = %d, want over the 300 s critical", lag)
	}
	if s, _ := status(simulator.Cycle+25*time.Second, "REP1"); s != monitor.StatusAbended {
		t.Fatalf("scenario does not repeat: REP1 = %s", s)
	}
}

func TestDepthStaysHealthy(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	target := monitor.Target{Name: "demo", Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	for s := time.Duration(0); s < simulator.Cycle; s += 5 * time.Second {
		paths, hbs, txs := simulator.Depth(s, now)
		if len(paths) != 1 || len(hbs) != 1 || len(txs) != 1 || *txs[0].AgeSeconds < 1200 || txs[0].StartedAt.After(now) {
			t.Fatalf("at %s: paths %+v, heartbeats %+v, transactions %+v", s, paths, hbs, txs)
		}
		obs := monitor.Observation{Paths: paths, Heartbeats: hbs, Transactions: txs}
		if fs := monitor.Findings(target, obs, now); len(fs) != 0 {
			t.Fatalf("at %s: findings %+v, want none", s, fs)
		}
	}
}
