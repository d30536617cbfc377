package monitor_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// observe runs one check of obs, 10 s after the previous one.
func (h *harness) observe(obs monitor.Observation) []string {
	h.now = h.now.Add(10 * time.Second)
	obs.Target = "east"
	var trs []monitor.Transition
	h.mem, trs = monitor.Step(h.target, h.mem, obs, h.list(), h.silences, h.now)
	return h.apply(trs)
}

// logLines records ggserr.log entries as the follower does, between checks.
func (h *harness) logLines(entries ...monitor.LogEntry) []string {
	h.now = h.now.Add(time.Second)
	var trs []monitor.Transition
	h.mem, trs = monitor.StepLog(h.target, h.mem, entries, h.list(), h.silences, h.now)
	return h.apply(trs)
}

func i64(v int64) *int64 { return &v }

func running(program, group string, lag, ckpt int64) monitor.Process {
	return monitor.Process{Program: program, Group: group, Status: monitor.StatusRunning, LagSeconds: i64(lag), CheckpointAgeSeconds: i64(ckpt)}
}

// expectSteps runs each observation and compares the events of each step.
func expectSteps(t *testing.T, h *harness, steps []monitor.Observation, want [][]string) {
	t.Helper()
	for i, obs := range steps {
		got := h.observe(obs)
		if !slices.Equal(got, want[i]) {
			t.Fatalf("check %d: got %q, want %q", i+1, got, want[i])
		}
	}
}

func TestRuleLongTransaction(t *testing.T) {
	h := newHarness(t)
	ext := running("EXTRACT", "EXT1", 2, 5)
	txs := func(ages ...int64) monitor.Observation {
		obs := monitor.Observation{Processes: []monitor.Process{ext}, Transactions: []monitor.Transaction{}}
		for i, a := range ages {
			started := h.now.Add(-time.Duration(a) * time.Second)
			obs.Transactions = append(obs.Transactions, monitor.Transaction{Process: "EXT1", XID: "5.15." + string(rune('0'+i)), StartedAt: &started, AgeSeconds: i64(a), Items: i64(3)})
		}
		return obs
	}
	expectSteps(t, h, []monitor.Observation{txs(60), txs(30, 3700), txs(4*3600 + 1), txs(), txs()}, [][]string{
		nil,
		{"opened long_transaction EXTRACT/EXT1 warning"},
		{"updated long_transaction EXTRACT/EXT1 critical"},
		nil,
		{"resolved long_transaction EXTRACT/EXT1 critical"},
	})
}

func TestRuleLongTransactionNamesTheOldest(t *testing.T) {
	now := time.Now()
	obs := monitor.Observation{Processes: []monitor.Process{running("EXTRACT", "EXT1", 0, 0)}, Transactions: []monitor.Transaction{
		{Process: "EXT1", XID: "1.1.1", AgeSeconds: i64(3700)}, {Process: "EXT1", XID: "9.9.9", AgeSeconds: i64(5 * 3600)},
	}}
	fs := monitor.Findings(monitor.Target{Name: "east", Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}, obs, now)
	if len(fs) != 1 || fs[0].Rule != monitor.RuleLongTransaction || !strings.Contains(fs[0].Message, "9.9.9") ||
		!strings.Contains(fs[0].Message, "05:00:00") || fs[0].Severity != monitor.SeverityCritical {
		t.Fatalf("findings = %+v, want one critical naming 9.9.9 and 05:00:00", fs)
	}
	if !strings.Contains(fs[0].Speech.En, "5 hours") || !strings.Contains(fs[0].Speech.Ko, "5시간") {
		t.Fatalf("speech = %+v", fs[0].Speech)
	}
}

func TestRuleRecoveryAge(t *testing.T) {
	h := newHarness(t)
	rec := func(age int64) monitor.Observation {
		return monitor.Observation{Processes: []monitor.Process{running("EXTRACT", "EXT1", 0, 0)},
			Recovery: []monitor.Recovery{{Process: "EXT1", CheckpointAt: h.now.Add(-time.Duration(age) * time.Second), AgeSeconds: age}}}
	}
	expectSteps(t, h, []monitor.Observation{rec(3600), rec(5 * 3600), rec(13 * 3600), rec(60), rec(60)}, [][]string{
		nil,
		{"opened recovery_age EXTRACT/EXT1 warning"},
		{"updated recovery_age EXTRACT/EXT1 critical"},
		nil,
		{"resolved recovery_age EXTRACT/EXT1 critical"},
	})
}

func TestRuleStalled(t *testing.T) {
	h := newHarness(t)
	h.target.Thresholds.LagGrowingChecks = 0 // its own rule; not this test's
	step := func(ops int64, pos string, lag int64) monitor.Observation {
		return monitor.Observation{Processes: []monitor.Process{running("REPLICAT", "REP1", lag, lag)},
			Activity: []monitor.Activity{{Program: "REPLICAT", Group: "REP1", Operations: i64(ops), Discards: i64(0), Position: pos}}}
	}
	want := [][]string{nil, nil, nil, {"opened stalled REPLICAT/REP1 warning"}, nil, nil, {"updated stalled REPLICAT/REP1 critical"}, nil, {"resolved stalled REPLICAT/REP1 critical"}}
	steps := []monitor.Observation{step(10, "seq 1 rba 5", 1)}
	for i := int64(1); i <= 6; i++ { // nothing moves while the lag grows: stalled at N=3, critical at 2N
		steps = append(steps, step(10, "seq 1 rba 5", 1+5*i))
	}
	steps = append(steps, step(20, "seq 1 rba 9", 2), step(30, "seq 1 rba 12", 1))
	expectSteps(t, h, steps, want)
}

func TestRuleStalledNotWhenIdleAndCurrent(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 8; i++ { // nothing to do, and the lag does not grow: not stalled
		obs := monitor.Observation{Processes: []monitor.Process{running("REPLICAT", "REP1", 0, 3)},
			Activity: []monitor.Activity{{Program: "REPLICAT", Group: "REP1", Operations: i64(10), Position: "seq 1 rba 5"}}}
		if got := h.observe(obs); got != nil {
			t.Fatalf("check %d: %q, want nothing", i+1, got)
		}
	}
}

func TestRuleDiscards(t *testing.T) {
	h := newHarness(t)
	step := func(ops, discards int64) monitor.Observation {
		return monitor.Observation{Processes: []monitor.Process{running("REPLICAT", "REP1", 0, 0)},
			Activity: []monitor.Activity{{Program: "REPLICAT", Group: "REP1", Operations: i64(ops), Discards: i64(discards)}}}
	}
	expectSteps(t, h, []monitor.Observation{step(1, 0), step(2, 0), step(3, 5), step(4, 2005)}, [][]string{
		nil, nil, {"opened discards REPLICAT/REP1 warning"}, {"updated discards REPLICAT/REP1 critical"},
	})
	// Discards come in bursts: the alert stays through 30 quiet checks.
	for i := 1; i < 30; i++ {
		if got := h.observe(step(int64(5+i), 2005)); got != nil {
			t.Fatalf("quiet check %d: %q", i, got)
		}
	}
	if got := h.observe(step(40, 2005)); !slices.Equal(got, []string{"resolved discards REPLICAT/REP1 critical"}) {
		t.Fatalf("after 30 quiet checks: %q", got)
	}
}

func TestRuleHeartbeatLagAndStale(t *testing.T) {
	h := newHarness(t)
	hb := func(lag, age float64) monitor.Observation {
		return monitor.Observation{Heartbeats: []monitor.Heartbeat{{Direction: monitor.HeartbeatIncoming, From: "ORCL", To: "PDBWEST",
			Path: "EXT1 ==> REP1", LagSeconds: lag, AgeSeconds: age}}}
	}
	const g = "HEARTBEAT/ORCL>PDBWEST EXT1 ==> REP1"
	expectSteps(t, h, []monitor.Observation{hb(5, 30), hb(90.5, 200), hb(400, 700), hb(3, 20), hb(3, 20)}, [][]string{
		nil,
		{"opened heartbeat_lag " + g + " warning", "opened heartbeat_stale " + g + " warning"},
		{"updated heartbeat_lag " + g + " critical", "updated heartbeat_stale " + g + " critical"},
		nil,
		{"resolved heartbeat_lag " + g + " critical", "resolved heartbeat_stale " + g + " critical"},
	})
}

// A group whose command failed keeps its alert as it is: nothing true can
// be said of it, least of all that its transaction committed.
func TestUnreadHoldsTheGroupsAlerts(t *testing.T) {
	h := newHarness(t)
	old := monitor.Observation{Processes: []monitor.Process{running("EXTRACT", "EXT1", 0, 0)},
		Transactions: []monitor.Transaction{{Process: "EXT1", XID: "1.2.3", AgeSeconds: i64(5 * 3600)}}}
	if got := h.observe(old); !slices.Equal(got, []string{"opened long_transaction EXTRACT/EXT1 critical"}) {
		t.Fatalf("got %q", got)
	}
	unread := monitor.Observation{Processes: old.Processes, Transactions: []monitor.Transaction{},
		Unread: []monitor.Unread{{Source: monitor.SourceTransactions, Program: "EXTRACT", Group: "EXT1", Error: "no prompt"}}}
	for i := 0; i < 5; i++ {
		if got := h.observe(unread); got != nil {
			t.Fatalf("check %d with EXT1 unread: %q", i+1, got)
		}
	}
}

// A WARNLONGTRANS line opens the alert at once, between checks; a later
// SHOWTRANS that knows the transaction older escalates it; once SHOWTRANS
// no longer lists it, it resolves.
func TestWarnLongTransOpensAtOnce(t *testing.T) {
	h := newHarness(t)
	ext := running("EXTRACT", "EXT1", 0, 0)
	line := monitor.LogEntry{Severity: "WARNING", Code: "OGG-01027", Group: "EXT1", Message: "Long Running Transaction: XID 12.7.40251, Items 4821, Extract EXT1",
		LongTransaction: &monitor.Transaction{Process: "EXT1", XID: "12.7.40251", Items: i64(4821)}}
	if got := h.logLines(line); !slices.Equal(got, []string{"opened long_transaction EXTRACT/EXT1 warning"}) {
		t.Fatalf("after the line: %q", got)
	}
	if a := h.list()[0]; !strings.Contains(a.Message, "12.7.40251") || !strings.Contains(a.Message, "WARNLONGTRANS") {
		t.Fatalf("message %q does not name the XID and its source", a.Message)
	}
	if got := h.logLines(line); got != nil {
		t.Fatalf("the same line again: %q", got)
	}
	tx := monitor.Observation{Processes: []monitor.Process{ext}, Transactions: []monitor.Transaction{{Process: "EXT1", XID: "12.7.40251", AgeSeconds: i64(5 * 3600)}}}
	if got := h.observe(tx); !slices.Equal(got, []string{"updated long_transaction EXTRACT/EXT1 critical"}) {
		t.Fatalf("SHOWTRANS at 5 h: %q", got)
	}
	if got := h.logLines(line); got != nil {
		t.Fatalf("a later line must not downgrade: %q", got)
	}
	none := monitor.Observation{Processes: []monitor.Process{ext}, Transactions: []monitor.Transaction{}}
	h.observe(none)
	if got := h.observe(none); !slices.Equal(got, []string{"resolved long_transaction EXTRACT/EXT1 critical"}) {
		t.Fatalf("committed: %q", got)
	}
}

func TestWarnLongTransCriticalByThreshold(t *testing.T) {
	h := newHarness(t)
	h.target.Thresholds.TransactionAgeWarning, h.target.Thresholds.TransactionAgeCritical = 30*time.Minute, time.Hour
	line := monitor.LogEntry{Severity: "WARNING", Group: "EXT2", LongTransaction: &monitor.Transaction{XID: "3.21.118804"}}
	if got := h.logLines(line); !slices.Equal(got, []string{"opened long_transaction EXTRACT/EXT2 critical"}) {
		t.Fatalf("got %q", got)
	}
}

// Classified ggserr.log lines say what happened, in both languages.
func TestOGGErrorSaysWhatHappened(t *testing.T) {
	h := newHarness(t)
	got := h.logLines(monitor.LogEntry{Severity: "ERROR", Code: "OGG-01170", Group: "REP1", Message: "Exceeded maximum discard records, abending",
		Meaning: &monitor.LogMeaning{Kind: "discard_limit", Severity: monitor.SeverityCritical, En: "discard limit exceeded", Ko: "디스카드 한도 초과"}})
	if !slices.Equal(got, []string{"opened ogg_error /REP1 critical"}) {
		t.Fatalf("got %q", got)
	}
	a := h.list()[0]
	if !strings.Contains(a.Speech.En, "discard limit exceeded") || !strings.Contains(a.Speech.Ko, "디스카드 한도 초과") || !strings.Contains(a.Message, "discard limit exceeded") {
		t.Fatalf("alert %q / %+v does not say what happened", a.Message, a.Speech)
	}
}

func TestWants(t *testing.T) {
	th := monitor.DefaultThresholds()
	all := monitor.Target{Thresholds: th}
	none := monitor.Target{Thresholds: th, Collect: []string{}}
	some := monitor.Target{Thresholds: th, Collect: []string{monitor.CollectShowCh}}
	off := th
	off.TransactionAgeWarning, off.TransactionAgeCritical = 0, 0
	for _, tc := range []struct {
		t    monitor.Target
		what string
		want bool
	}{
		{all, monitor.CollectShowTrans, true}, {all, monitor.CollectStats, true},
		{none, monitor.CollectShowCh, false},
		{some, monitor.CollectShowCh, true}, {some, monitor.CollectShowTrans, false},
		{monitor.Target{Thresholds: off}, monitor.CollectShowTrans, false},
		{monitor.Target{Thresholds: off, Groups: map[string]monitor.Thresholds{"EXT1": th}}, monitor.CollectShowTrans, true},
	} {
		if got := tc.t.Wants(tc.what); got != tc.want {
			t.Errorf("collect %v, wants %s: got %v, want %v", tc.t.Collect, tc.what, got, tc.want)
		}
	}
}
