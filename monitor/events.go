package monitor

import (
	"context"
	"sync/atomic"
)

// Observer is a collector that fills a whole observation in one pass: the
// process table and what else its source tells (services, paths,
// heartbeats, transactions). RunCheck prefers it to Collect.
type Observer interface {
	Observe(ctx context.Context, obs *Observation) error
}

// EventSink is what an EventFollower tells of what it saw between checks.
type EventSink interface {
	// Log records message-log entries as they arrive, as ggserr.log lines
	// are (StepLog: an ERROR line opens its ogg_error alert at once).
	Log(ctx context.Context, entries []LogEntry) error
	// Changed says a process changed state (a status change of the PM
	// service): the target is checked now rather than at its next tick.
	Changed()
}

// EventFollower follows a target's near-real-time events (the Performance
// Metrics Service's status changes and messages) until ctx ends.
type EventFollower interface {
	Run(ctx context.Context, sink EventSink) error
}

type eventJob struct {
	target Target
	f      EventFollower
}

// FollowEvents makes Start run f beside t's scheduled checks. t must be
// one of the scheduler's checks: a change f reports checks it at once.
func (s *Scheduler) FollowEvents(t Target, f EventFollower) {
	s.events = append(s.events, eventJob{target: t, f: f})
}

func (s *Scheduler) startEvents() {
	for _, e := range s.events {
		sink := &schedSink{s: s, target: e.target, job: s.byTarget[e.target.Name]}
		s.followers.Add(1)
		go func() {
			defer s.followers.Done()
			if err := e.f.Run(s.ctx, sink); err != nil && s.ctx.Err() == nil {
				s.log.Error("follow events", "target", e.target.Name, "err", err)
			}
		}()
	}
}

type schedSink struct {
	s      *Scheduler
	target Target
	job    *checkJob
}

func (k *schedSink) Log(ctx context.Context, entries []LogEntry) error {
	return k.s.rec.RecordLog(ctx, k.target, entries)
}

func (k *schedSink) Changed() {
	if k.job == nil || k.s.ctx.Err() != nil {
		return
	}
	// Called from the follower's goroutine, which the WaitGroup counts:
	// Add cannot race with Stop's Wait here.
	k.s.followers.Add(1)
	go func() {
		defer k.s.followers.Done()
		k.job.poke()
	}()
}

// checkJob is one target's scheduled check. A check never overlaps
// itself: a tick that finds it running is skipped, while a poke (an event
// between ticks) that finds it running makes it run once more when done,
// since the running check may have read the state before the change.
type checkJob struct {
	s     *Scheduler
	c     Check
	busy  atomic.Bool
	again atomic.Bool
}

// Run is the cron tick.
func (j *checkJob) Run() {
	if !j.busy.CompareAndSwap(false, true) {
		j.s.log.Warn("check skipped: the previous one is still running", "target", j.c.Target.Name)
		return
	}
	j.loop()
}

func (j *checkJob) poke() {
	j.again.Store(true)
	if j.busy.CompareAndSwap(false, true) {
		j.loop()
	}
}

// loop runs the check while pokes keep arriving; it is entered holding busy.
func (j *checkJob) loop() {
	for {
		j.again.Store(false)
		j.s.RunOnce(j.s.ctx, j.c)
		j.busy.Store(false)
		// A poke that came while busy set again before its own CAS failed.
		if !j.again.Load() || !j.busy.CompareAndSwap(false, true) {
			return
		}
	}
}
