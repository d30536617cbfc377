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
