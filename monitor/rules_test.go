package monitor_test

import (
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

func secs(n int64) *int64 { return &n }

// step applies one observation to the active alerts and returns the
// transitions, as the store does inside its transaction.
func step(active []monitor.Alert, obs monitor.Observation, now time.Time) ([]monitor.Alert, []monitor.Transition) {
	trs := monitor.Reconcile(obs.Target, active, monitor.Evaluate(obs, monitor.DefaultThresholds()), now)
	byKey := map[monitor.FindingKey]int{}
	for i, a := range active {
		byKey[a.Key()] = i
	}
	next := append([]monitor.Alert(nil), active...)
	id := int64(len(active) + 100)
	for _, tr := range trs {
		switch tr.Type {
		case monitor.AlertOpened:
			id++
			tr.Alert.ID = id
			next = append(next, tr.Alert)
		default:
			next[byKey[tr.Alert.Key()]] = tr.Alert
		}
	}
	var out []monitor.Alert
	for _, a := range next {
		if a.Active() {
			out = append(out, a)
		}
	}
	return out, trs
}

func TestRulesOpenEscalateResolve(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	obs := func(lag int64, status string) monitor.Observation {
		return monitor.Observation{Target: "prod-east", Processes: []monitor.Process{
			{Program: "MANAGER", Status: monitor.StatusRunning},
			{Program: "EXTRACT", Group: "EXT1", Status: status, LagSeconds: secs(lag), CheckpointAgeSeconds: secs(5)},
		}}
	}
	steps := []struct {
		name  string
		obs   monitor.Observation
		types []string
		sev   string // severity of the active lag/status alert after the step; "" none
	}{
		{"healthy", obs(5, monitor.StatusRunning), nil, ""},
		{"lag over warning opens", obs(90, monitor.StatusRunning), []string{monitor.AlertOpened}, monitor.SeverityWarning},
		{"same condition: no event", obs(90, monitor.StatusRunning), nil, monitor.SeverityWarning},
		{"lag over critical escalates", obs(400, monitor.StatusRunning), []string{monitor.AlertUpdated}, monitor.SeverityCritical},
		{"back to warning updates", obs(100, monitor.StatusRunning), []string{monitor.AlertUpdated}, monitor.SeverityWarning},
		{"clears: resolves", obs(3, monitor.StatusRunning), []string{monitor.AlertResolved}, ""},
		{"abend opens a status alert", obs(3, monitor.StatusAbended), []string{monitor.AlertOpened}, monitor.SeverityCritical},
		{"stopped updates severity", obs(3, monitor.StatusStopped), []string{monitor.AlertUpdated}, monitor.SeverityWarning},
		{"running resolves", obs(3, monitor.StatusRunning), []string{monitor.AlertResolved}, ""},
	}
	var active []monitor.Alert
	for i, st := range steps {
		var trs []monitor.Transition
		active, trs = step(active, st.obs, t0.Add(time.Duration(i)*10*time.Second))
		var types []string
		for _, tr := range trs {
			types = append(types, tr.Type)
		}
		if len(types) != len(st.types) {
			t.Fatalf("%s: transitions %v, want %v", st.name, types, st.types)
		}
		for j := range types {
			if types[j] != st.types[j] {
				t.Fatalf("%s: transitions %v, want %v", st.name, types, st.types)
			}
		}
		got := ""
		if len(active) == 1 {
			got = active[0].Severity
		} else if len(active) > 1 {
			t.Fatalf("%s: %d active alerts, want at most 1", st.name, len(active))
		}
		if got != st.sev {
			t.Fatalf("%s: active severity %q, want %q", st.name, got, st.sev)
		}
	}
}

func TestEscalationAfterAckAsksAgain(t *testing.T) {
	now := time.Now()
	who, comment := "alice", "looking"
	acked := monitor.Alert{ID: 1, Target: "t", Program: "EXTRACT", Group: "E1", Rule: monitor.RuleLag,
		Severity: monitor.SeverityWarning, State: monitor.StateAcked, AckedBy: &who, Comment: &comment, Message: "x"}
	f := monitor.Finding{Rule: monitor.RuleLag, Program: "EXTRACT", Group: "E1", Severity: monitor.SeverityCritical, Message: "y"}
	trs := monitor.Reconcile("t", []monitor.Alert{acked}, []monitor.Finding{f}, now)
	if len(trs) != 1 || trs[0].Type != monitor.AlertUpdated || trs[0].Alert.State != monitor.StateOpen || trs[0].Alert.AckedBy != nil {
		t.Fatalf("escalation after ack = %+v, want updated and open again", trs)
	}
}

func TestUnreachableTarget(t *testing.T) {
	obs := monitor.Observation{Target: "t", Err: monitor.ErrUnreachable}
	fs := monitor.Evaluate(obs, monitor.DefaultThresholds())
	if len(fs) != 1 || fs[0].Rule != monitor.RuleUnreachable || fs[0].Severity != monitor.SeverityCritical {
		t.Fatalf("findings = %+v", fs)
	}
	obs.Err = &monitor.ParseError{What: "info all", Reason: "no header"}
	if fs := monitor.Evaluate(obs, monitor.DefaultThresholds()); fs[0].Rule != monitor.RuleParserBlind {
		t.Fatalf("unreadable output rule = %s, want parser_blind", fs[0].Rule)
	}
}

func TestSpeechIsShortAndBilingual(t *testing.T) {
	obs := monitor.Observation{Target: "prod-east", Processes: []monitor.Process{{Program: "REPLICAT", Group: "REP1", Status: monitor.StatusAbended}}}
	f := monitor.Evaluate(obs, monitor.DefaultThresholds())[0]
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
