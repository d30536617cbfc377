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
