package monitor_test

import (
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

func secs(n int64) *int64 { return &n }

func TestSpeechIsShortAndBilingual(t *testing.T) {
	target := monitor.Target{Name: "prod-east", Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	obs := monitor.Observation{Target: "prod-east", Processes: []monitor.Process{{Program: "REPLICAT", Group: "REP1", Status: monitor.StatusAbended}}}
	fs := monitor.Findings(target, obs, time.Now())
	if len(fs) != 1 {
		t.Fatalf("findings = %+v", fs)
	}
	f := fs[0]
	if f.Speech.Ko != "prod-east 복제 프로세스 REP1 이 중단되었습니다" || f.Speech.En != "prod-east replicat REP1 abended" {
		t.Fatalf("speech = %+v", f.Speech)
	}
	if f.Message != "REPLICAT REP1 is ABENDED" {
		t.Fatalf("message = %q", f.Message)
	}
}

func TestSimulatorScenario(t *testing.T) {
	status := func(at time.Duration, group string) (string, int64) {
		for _, p := range monitor.SimulatedProcesses(at) {
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
	if _, lag := status(2*monitor.SimulatorCycle+130*time.Second, "EXT2"); lag < 300 {
		t.Fatalf("EXT2 lag in the third cycle = %d, want over the 300 s critical", lag)
	}
	if s, _ := status(monitor.SimulatorCycle+25*time.Second, "REP1"); s != monitor.StatusAbended {
		t.Fatalf("scenario does not repeat: REP1 = %s", s)
	}
}
