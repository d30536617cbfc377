package monitor

// SyncMon's own trouble, judged like any OGG failure: rule syncmon, target
// syncmon, program SYNCMON, group = the component (store, checks, notify,
// clock). The self-monitor looks every few seconds and records its findings
// through the same engine and alert path as a target's check, so the
// alerts are shown, chimed, spoken and repeated until acked or cleared.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// The self-monitor's names, as they appear in alerts.
const (
	RuleSyncMon    = "syncmon"
	SelfTarget     = "syncmon"
	SelfProgram    = "SYNCMON"
	ComponentStore = "store"
	ComponentCheck = "checks"
	ComponentNote  = "notify"
	ComponentClock = "clock"
	ComponentNodes = "nodes"
)

// ClockJump is how far the wall clock may move against the monotonic one
// between two looks before SyncMon says its clock jumped; ClockHold is how
// long that alert stays open after the jump.
const (
	ClockJump = time.Minute
	ClockHold = 10 * time.Minute
)

// ErrUnpersisted marks a Recorder error after which the check was still
// judged and shown, from memory: the store could not write it (yet). The
// syncmon/store alert says so; the scheduler logs it at debug level only.
var ErrUnpersisted = errors.New("shown from memory, not recorded")

// SelfRecorder records the self-monitor's findings (the store).
type SelfRecorder interface {
	RecordSelf(ctx context.Context, findings []Finding) error
}

// SelfWatch is the self-monitor. Set its fields before Run; nil checks are
// skipped.
type SelfWatch struct {
	Rec SelfRecorder
	// Store reports the database's write health: nil when writes succeed.
	// It is called every look and may try a write (a ping), with a deadline
	// of StoreTimeout (3 s when zero): a write that waits longer fails.
	Store        func(ctx context.Context) error
	StoreTimeout time.Duration
	// Checks reports the scheduler's view (see Scheduler.Health).
	Checks func() SchedulerHealth
	// GaveUp lists the notification channels that gave up on an event and
	// have delivered nothing since.
	GaveUp func() []string
	// Lost lists the cluster nodes that have gone unheard too long, each
	// with how long (the writer's view; nil on a single node).
	Lost func(ctx context.Context) []LostNode
	// Now is the wall clock SyncMon stamps events with (the clock whose
	// jumps are watched); time.Now when nil.
	Now      func() time.Time
	Interval time.Duration // between looks; 2 s when zero
	Log      *slog.Logger

	mu         sync.Mutex
	healthy    bool
	reason     string
	storeSince time.Time // when the store write in progress (check or recording) began; zero when none
	prevWall   time.Time // wall reading at the last look, monotonic stripped
	prevMono   time.Time // time.Now at the last look (monotonic)
	jumpAt     time.Time // monotonic time of the last jump
	jump       time.Duration
}

// SchedulerHealth is what the scheduler says of its checks.
type SchedulerHealth struct {
	Started      time.Time     // when Start ran (monotonic); zero before
	LastFinished time.Time     // when the newest check finished (monotonic)
	Period       time.Duration // the shortest schedule's period
	Timeout      time.Duration // the longest check timeout
	Targets      int
	Failing      []string // targets whose last check failed
}

// Healthy reports whether SyncMon can do its job: its store writes and its
// checks run. The reason says what is wrong when not. It is the verdict of
// the last look, the one behind the syncmon/store and syncmon/checks
// alerts, so that everything told outside agrees with them: the heartbeat
// channel (an outside watcher hears nothing while this is false), /readyz
// and the syncmon_healthy metric read it. Before the first look it is true.
func (w *SelfWatch) Healthy() (bool, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// A store check that waits (behind a write stuck on a lock) is a store
	// that cannot write: say so now, not when the look ends.
	if d := w.storeTimeout(); !w.storeSince.IsZero() && time.Since(w.storeSince) > d {
		return false, fmt.Sprintf("store: no write within %s", d)
	}
	if w.prevMono.IsZero() {
		return true, "not looked yet"
	}
	return w.healthy, w.reason
}

// Run looks every Interval until ctx ends.
func (w *SelfWatch) Run(ctx context.Context) {
	iv := w.Interval
	if iv <= 0 {
		iv = 2 * time.Second
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		w.Look(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Look judges SyncMon once and records the findings.
func (w *SelfWatch) Look(ctx context.Context) {
	fs := w.Findings(ctx, time.Now())
	if w.Rec == nil {
		return
	}
	// Recording is a write too: one stuck behind another process's lock
	// makes the verdict unhealthy once it waits past StoreTimeout, even
	// though the look's own store check passed just before the lock.
	done := w.writing()
	err := w.Rec.RecordSelf(ctx, fs)
	done()
	if err != nil && ctx.Err() == nil && w.Log != nil {
		w.Log.Warn("record syncmon's own check", "err", err)
	}
}

// Findings returns what is wrong with SyncMon now; mono is time.Now (its
// monotonic reading is compared with the wall clock's).
func (w *SelfWatch) Findings(ctx context.Context, mono time.Time) []Finding {
	var out []Finding
	healthy, reasons := true, []string{}
	if w.Store != nil {
		if err := w.storeHealth(ctx); err != nil {
			healthy = false
			reasons = append(reasons, "store: "+err.Error())
			out = append(out, selfFinding(ComponentStore, SeverityCritical,
				"SyncMon's database is in trouble ("+err.Error()+"): what cannot be recorded is shown from memory",
				Speech{En: "SyncMon cannot record. Its database is not writable.", Ko: "SyncMon이 기록할 수 없습니다. 데이터베이스에 쓸 수 없습니다."}))
		}
	}
	if w.Checks != nil {
		if f, stalled, ok := checksFinding(w.Checks(), mono); !ok {
			out = append(out, f)
			if stalled {
				healthy = false
				reasons = append(reasons, "checks: "+f.Message)
			}
		}
	}
	if w.GaveUp != nil {
		if chans := w.GaveUp(); len(chans) > 0 {
			sort.Strings(chans)
			names := strings.Join(chans, ", ")
			out = append(out, selfFinding(ComponentNote, SeverityWarning,
				"SyncMon notification channel "+names+" gave up on an event",
				Speech{En: "A SyncMon notification channel gave up.", Ko: "SyncMon 알림 채널이 전송을 포기했습니다."}))
		}
	}
	if w.Lost != nil {
		if lost := w.Lost(ctx); len(lost) > 0 {
			out = append(out, lostFinding(lost))
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	wall := now().Round(0)
	if !w.prevMono.IsZero() {
		drift := wall.Sub(w.prevWall) - mono.Sub(w.prevMono)
		if drift > ClockJump || drift < -ClockJump {
			w.jumpAt, w.jump = mono, drift
		}
	}
	w.prevWall, w.prevMono = wall, mono
	if !w.jumpAt.IsZero() && mono.Sub(w.jumpAt) < ClockHold {
		dir, by := "forward", w.jump
		if by < 0 {
			dir, by = "back", -by
		}
		out = append(out, selfFinding(ComponentClock, SeverityWarning,
			fmt.Sprintf("SyncMon's clock jumped %s by %s: times around it are unreliable", dir, by.Round(time.Second)),
			Speech{En: "SyncMon's clock jumped.", Ko: "SyncMon 서버 시계가 갑자기 바뀌었습니다."}))
	}
	reason := strings.Join(reasons, "; ")
	if reason != w.reason && w.Log != nil {
		if healthy {
			w.Log.Info("syncmon is healthy again")
		} else {
			w.Log.Warn("syncmon is in trouble", "reason", reason)
		}
	}
	w.healthy, w.reason = healthy, reason
	return out
}

// storeHealth runs the Store check with its deadline, noting while it runs.
func (w *SelfWatch) storeHealth(ctx context.Context) error {
	defer w.writing()()
	ctx, cancel := context.WithTimeout(ctx, w.storeTimeout())
	defer cancel()
	return w.Store(ctx)
}

// writing notes that a store write (the check or the recording) is under
// way, until the returned func is called: Healthy reads it.
func (w *SelfWatch) writing() func() {
	w.mu.Lock()
	w.storeSince = time.Now()
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		w.storeSince = time.Time{}
		w.mu.Unlock()
	}
}

func (w *SelfWatch) storeTimeout() time.Duration {
	if w.StoreTimeout <= 0 {
		return 3 * time.Second
	}
	return w.StoreTimeout
}

// checksFinding judges the scheduler: stalled (no check finished for 3
// of the shortest periods plus the longest check timeout, so that one slow
// target timing out is not taken for a stall) or every target failing.
// ok: nothing wrong.
func checksFinding(h SchedulerHealth, mono time.Time) (f Finding, stalled, ok bool) {
	if h.Started.IsZero() || h.Targets == 0 {
		return Finding{}, false, true
	}
	if h.Period > 0 {
		last := h.LastFinished
		if last.IsZero() {
			last = h.Started
		}
		if idle := mono.Sub(last); idle > 3*h.Period+h.Timeout {
			return selfFinding(ComponentCheck, SeverityCritical,
				fmt.Sprintf("SyncMon's checks have stalled: none finished for %s", idle.Round(time.Second)),
				Speech{En: "SyncMon checks have stalled.", Ko: "SyncMon 점검이 멈췄습니다."}), true, false
		}
	}
	// With one target, its own target_unreachable already says it all.
	if h.Targets >= 2 && len(h.Failing) == h.Targets {
		return selfFinding(ComponentCheck, SeverityCritical,
			fmt.Sprintf("Every target is failing its checks (%s)", strings.Join(h.Failing, ", ")),
			Speech{En: "Every SyncMon target is failing its checks.", Ko: "SyncMon의 모든 대상 점검이 실패하고 있습니다."}), false, false
	}
	return Finding{}, false, true
}

// LostNode is a cluster node the writer has not heard from.
type LostNode struct {
	Name  string
	Since time.Duration // how long unheard
}

// lostFinding is syncmon/nodes: a warning, said once and shown until the
// nodes are back. The cluster still writes (the writer has a quorum), but
// it tolerates one failure less.
func lostFinding(lost []LostNode) Finding {
	names := make([]string, len(lost))
	for i, n := range lost {
		names[i] = fmt.Sprintf("%s (%s)", n.Name, n.Since.Round(time.Second))
	}
	return selfFinding(ComponentNodes, SeverityWarning,
		"SyncMon cluster node "+strings.Join(names, ", ")+" unreachable or not keeping up with the log: the cluster still writes, but can lose fewer nodes before it stops",
		Speech{En: "A SyncMon cluster node is not responding.", Ko: "SyncMon 클러스터 노드가 응답하지 않습니다."})
}

func selfFinding(component, severity, message string, speech Speech) Finding {
	return Finding{Rule: RuleSyncMon, Program: SelfProgram, Group: component, Severity: severity, Message: message, Speech: speech}
}

// StepSelf judges the self-monitor's findings against the syncmon target's
// active alerts: no hysteresis (SyncMon's own trouble is told at once, and
// cleared as soon as it is over), silences as for any alert.
func StepSelf(active []Alert, findings []Finding, silences []Silence, now time.Time) []Transition {
	sortFindings(findings)
	return applySilences(Reconcile(SelfTarget, active, findings, now), active, silences, now)
}
