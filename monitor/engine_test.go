package monitor_test

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// harness drives the engine as the store does: it keeps the memory and
// the active alerts between steps, with time passed in.
type harness struct {
	t        *testing.T
	target   monitor.Target
	mem      monitor.Memory
	active   map[int64]monitor.Alert
	nextID   int64
	now      time.Time
	silences []monitor.Silence
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, active: map[int64]monitor.Alert{}, now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC),
		target: monitor.Target{Name: "east", Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}}
}

func (h *harness) list() []monitor.Alert {
	var out []monitor.Alert
	for _, a := range h.active {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (h *harness) apply(trs []monitor.Transition) []string {
	var evs []string
	for _, tr := range trs {
		a := tr.Alert
		if tr.Type == monitor.AlertOpened {
			h.nextID++
			a.ID = h.nextID
		}
		if a.Active() {
			h.active[a.ID] = a
		} else {
			delete(h.active, a.ID)
		}
		s := fmt.Sprintf("%s %s %s/%s %s", tr.Type[len("alert."):], a.Rule, a.Program, a.Group, a.Severity)
		if a.Silenced {
			s += " silenced"
		}
		if a.State == monitor.StateAcked {
			s += " acked"
		}
		evs = append(evs, s)
	}
	sort.Strings(evs)
	return evs
}

// check runs one check of the given processes, 10 s after the previous one.
func (h *harness) check(procs ...monitor.Process) []string {
	h.now = h.now.Add(10 * time.Second)
	var trs []monitor.Transition
	h.mem, trs = monitor.Step(h.target, h.mem, monitor.Observation{Target: "east", Processes: procs}, h.list(), h.silences, h.now)
	return h.apply(trs)
}

func (h *harness) fail(err error) []string {
	h.now = h.now.Add(10 * time.Second)
	var trs []monitor.Transition
	h.mem, trs = monitor.Step(h.target, h.mem, monitor.Observation{Target: "east", Err: err}, h.list(), h.silences, h.now)
	return h.apply(trs)
}

func (h *harness) log(entries ...monitor.LogEntry) []string {
	h.now = h.now.Add(time.Second)
	var trs []monitor.Transition
	h.mem, trs = monitor.StepLog(h.target, h.mem, entries, h.list(), h.silences, h.now)
	return h.apply(trs)
}

func (h *harness) ack(rule string) {
	for id, a := range h.active {
		if a.Rule == rule {
			who := "alice"
			a.State, a.AckedBy = monitor.StateAcked, &who
			h.active[id] = a
			return
		}
	}
	h.t.Fatalf("no active %s alert to ack", rule)
}

func (h *harness) expect(step string, got []string, want ...string) {
	h.t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		h.t.Fatalf("%s:\n got  %q\n want %q", step, got, want)
	}
}

func mgr(status string) monitor.Process { return monitor.Process{Program: "MANAGER", Status: status} }

func ext(group, status string, lag, ckpt int64) monitor.Process {
	return monitor.Process{Program: "EXTRACT", Group: group, Status: status, LagSeconds: secs(lag), CheckpointAgeSeconds: secs(ckpt)}
}

func rep(group, status string) monitor.Process {
	return monitor.Process{Program: "REPLICAT", Group: group, Status: status, LagSeconds: secs(2), CheckpointAgeSeconds: secs(5)}
}

const run = monitor.StatusRunning

func TestHysteresisOneTickSpikeDoesNotSpeak(t *testing.T) {
	h := newHarness(t)
	h.expect("healthy", h.check(mgr(run), ext("E1", run, 5, 5)))
	h.expect("one-tick spike", h.check(mgr(run), ext("E1", run, 90, 5)))
	h.expect("gone again", h.check(mgr(run), ext("E1", run, 5, 5)))
	h.expect("first breach", h.check(mgr(run), ext("E1", run, 90, 5)))
	h.expect("second breach opens", h.check(mgr(run), ext("E1", run, 95, 5)), "opened lag EXTRACT/E1 warning")
	h.expect("critical escalates", h.check(mgr(run), ext("E1", run, 400, 5)), "updated lag EXTRACT/E1 critical")
	h.expect("a changing figure is not news", h.check(mgr(run), ext("E1", run, 410, 5)))
	h.expect("one clear check holds", h.check(mgr(run), ext("E1", run, 5, 5)))
	h.expect("breach again resets", h.check(mgr(run), ext("E1", run, 420, 5)))
	h.expect("clear 1", h.check(mgr(run), ext("E1", run, 5, 5)))
	h.expect("clear 2 resolves", h.check(mgr(run), ext("E1", run, 5, 5)), "resolved lag EXTRACT/E1 critical")
}

func TestProcessStatusRules(t *testing.T) {
	h := newHarness(t)
	h.target.Policy.ExpectedStopped = []string{"E9"}
	h.expect("healthy", h.check(mgr(run), rep("R1", run), ext("E9", run, 1, 1)))
	h.expect("abend opens at once", h.check(mgr(run), rep("R1", monitor.StatusAbended), ext("E9", monitor.StatusStopped, 1, 1)),
		"opened process_status REPLICAT/R1 critical")
	h.expect("stopped is a warning", h.check(mgr(run), rep("R1", monitor.StatusStopped), ext("E9", monitor.StatusStopped, 1, 1)),
		"updated process_status REPLICAT/R1 warning")
	h.expect("killed is critical", h.check(mgr(run), rep("R1", monitor.StatusKilled), ext("E9", monitor.StatusStopped, 1, 1)),
		"updated process_status REPLICAT/R1 critical")
	h.expect("running 1", h.check(mgr(run), rep("R1", run), ext("E9", monitor.StatusStopped, 1, 1)))
	h.expect("running 2 resolves", h.check(mgr(run), rep("R1", run), ext("E9", monitor.StatusStopped, 1, 1)),
		"resolved process_status REPLICAT/R1 critical")
}

func TestManagerDownSuppressesGroupAlerts(t *testing.T) {
	h := newHarness(t)
	h.check(mgr(run), rep("R1", run), ext("E1", run, 1, 1))
	h.expect("abend", h.check(mgr(run), rep("R1", monitor.StatusAbended), ext("E1", run, 1, 1)),
		"opened process_status REPLICAT/R1 critical")
	stopped := monitor.StatusStopped
	h.expect("manager down: one alert, the group's kept, no new ones",
		h.check(mgr(stopped), rep("R1", stopped), ext("E1", stopped, 1, 1)), "opened manager_down MANAGER/ critical")
	h.expect("still down", h.check(mgr(stopped), rep("R1", run), ext("E1", stopped, 1, 1)))
	h.expect("still down", h.check(mgr(stopped), rep("R1", run), ext("E1", stopped, 1, 1)))
	if len(h.active) != 2 {
		t.Fatalf("active = %v, want the manager and the held REP alert", h.list())
	}
	h.expect("manager back: E1 still stopped opens", h.check(mgr(run), rep("R1", run), ext("E1", stopped, 1, 1)),
		"opened process_status EXTRACT/E1 warning")
	h.expect("manager resolves after 2 clear", h.check(mgr(run), rep("R1", run), ext("E1", stopped, 1, 1)),
		"resolved manager_down MANAGER/ critical", "resolved process_status REPLICAT/R1 critical")
}

func TestAbendFlapping(t *testing.T) {
	h := newHarness(t)
	ab := monitor.StatusAbended
	h.check(mgr(run), rep("R1", run))
	h.expect("abend 1", h.check(mgr(run), rep("R1", ab)), "opened process_status REPLICAT/R1 critical")
	h.check(mgr(run), rep("R1", run)) // AUTORESTART
	h.expect("abend 2", h.check(mgr(run), rep("R1", ab)))
	h.check(mgr(run), rep("R1", run))
	h.expect("abend 3: flapping", h.check(mgr(run), rep("R1", ab)), "opened abend_flapping REPLICAT/R1 critical")
	// An hour later the abends age out of the window.
	h.now = h.now.Add(2 * time.Hour)
	h.check(mgr(run), rep("R1", run))
	h.expect("aged out", h.check(mgr(run), rep("R1", run)),
		"resolved abend_flapping REPLICAT/R1 critical", "resolved process_status REPLICAT/R1 critical")
}

func TestEscalationAfterAckAsksAgain(t *testing.T) {
	h := newHarness(t)
	h.check(mgr(run), ext("E1", run, 90, 5))
	h.expect("opens", h.check(mgr(run), ext("E1", run, 90, 5)), "opened lag EXTRACT/E1 warning")
	h.ack(monitor.RuleLag)
	h.expect("acked, same severity: quiet", h.check(mgr(run), ext("E1", run, 120, 5)))
	h.expect("escalation re-opens", h.check(mgr(run), ext("E1", run, 400, 5)), "updated lag EXTRACT/E1 critical")
	for _, a := range h.active {
		if a.State != monitor.StateOpen || a.AckedBy != nil {
			t.Fatalf("after escalation: %+v, want open and no longer acked", a)
		}
	}
}

func TestSilenceDuringWindowThenSpeaksAgain(t *testing.T) {
	h := newHarness(t)
	h.silences = []monitor.Silence{{ID: 1, Target: "east", Group: "R1", Start: h.now, End: h.now.Add(time.Minute)}}
	h.check(mgr(run), rep("R1", run), rep("R2", run))
	h.expect("abend in window: recorded, silenced", h.check(mgr(run), rep("R1", monitor.StatusAbended), rep("R2", run)),
		"opened process_status REPLICAT/R1 critical silenced")
	h.expect("other groups are not silenced", h.check(mgr(run), rep("R1", monitor.StatusAbended), rep("R2", monitor.StatusAbended)),
		"opened process_status REPLICAT/R2 critical")
	h.now = h.now.Add(time.Minute)
	h.expect("window over: speaks again", h.check(mgr(run), rep("R1", monitor.StatusAbended), rep("R2", monitor.StatusAbended)),
		"updated process_status REPLICAT/R1 critical")
}

func TestUnreachableCredentialsAndParserBlind(t *testing.T) {
	h := newHarness(t)
	h.check(mgr(run), rep("R1", monitor.StatusAbended))
	h.expect("first failure: not yet", h.fail(fmt.Errorf("dial: %w", monitor.ErrUnreachable)))
	h.expect("second failure opens; the group's alert is held",
		h.fail(fmt.Errorf("dial: %w", monitor.ErrUnreachable)), "opened target_unreachable / critical")
	h.expect("back", h.check(mgr(run), rep("R1", monitor.StatusAbended)))
	h.expect("back 2 resolves", h.check(mgr(run), rep("R1", monitor.StatusAbended)), "resolved target_unreachable / critical")
	h.expect("credentials refused", h.fail(fmt.Errorf("401: %w", monitor.ErrCredentials)), "opened credentials_refused / critical")
	h.expect("unreadable output", h.fail(&monitor.ParseError{What: "info all", Reason: "no header"}),
		"opened parser_blind / warning")
	if len(h.active) != 3 {
		t.Fatalf("active = %v, want credentials, parser_blind and the held REPLICAT alert", h.list())
	}
	if !errors.Is(&monitor.ParseError{}, monitor.ErrUnreadable) {
		t.Fatal("ParseError must match ErrUnreadable")
	}
}

func TestStuckStartingAndLagGrowing(t *testing.T) {
	h := newHarness(t)
	starting := monitor.Process{Program: "EXTRACT", Group: "E1", Status: monitor.StatusStarting}
	for range 30 { // the first sees it; 290 s later it is still under the 5 min limit
		h.expect("starting", h.check(mgr(run), starting))
	}
	h.expect("starting for 5 min", h.check(mgr(run), starting), "opened process_starting EXTRACT/E1 warning")
	h.check(mgr(run), ext("E1", run, 1, 1))
	h.expect("running resolves", h.check(mgr(run), ext("E1", run, 2, 1)), "resolved process_starting EXTRACT/E1 warning")
	h.check(mgr(run), ext("E1", run, 4, 1))
	h.check(mgr(run), ext("E1", run, 8, 1))
	h.expect("five rising lags", h.check(mgr(run), ext("E1", run, 16, 1)), "opened lag_growing EXTRACT/E1 warning")
}

func TestGroupDisappearsAndAppears(t *testing.T) {
	h := newHarness(t)
	h.check(mgr(run), rep("R1", run), rep("R2", run))
	h.expect("R2 gone", h.check(mgr(run), rep("R1", run)), "opened group_disappeared REPLICAT/R2 warning")
	h.expect("R3 new", h.check(mgr(run), rep("R1", run), rep("R3", run)), "opened group_appeared REPLICAT/R3 warning")
	h.now = h.now.Add(2 * time.Hour) // R2 forgotten, R3 no longer new
	h.check(mgr(run), rep("R1", run), rep("R3", run))
	h.expect("both resolve", h.check(mgr(run), rep("R1", run), rep("R3", run)),
		"resolved group_appeared REPLICAT/R3 warning", "resolved group_disappeared REPLICAT/R2 warning")
}

func TestOGGErrorFromErrLog(t *testing.T) {
	h := newHarness(t)
	h.check(mgr(run), rep("R1", run))
	h.expect("info and warning lines are not alerts", h.log(
		monitor.LogEntry{Severity: "INFO", Code: "OGG-00975", Message: "started"},
		monitor.LogEntry{Severity: "WARNING", Code: "OGG-01003", Message: "w"}))
	h.expect("an ERROR with a listed code is critical at once",
		h.log(monitor.LogEntry{Severity: "ERROR", Code: "OGG-01668", Group: "R1", Message: "PROCESS ABENDING"}),
		"opened ogg_error /R1 critical")
	h.expect("another code, other group: a warning", h.log(monitor.LogEntry{Severity: "ERROR", Code: "OGG-99999", Message: "x"}),
		"opened ogg_error / warning")
	h.expect("checks keep it while lines are recent", h.check(mgr(run), rep("R1", run)))
	h.now = h.now.Add(16 * time.Minute)
	h.check(mgr(run), rep("R1", run))
	h.expect("quiet for 15 min: resolves", h.check(mgr(run), rep("R1", run)),
		"resolved ogg_error / warning", "resolved ogg_error /R1 critical")
}
