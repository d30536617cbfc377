package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Recorder stores what a check observed and the alert transitions that
// follow, judged by Step inside its own transaction (so that memory, alerts
// and events change together). The store implements it; `syncmon check
// --once` runs without one.
type Recorder interface {
	Record(ctx context.Context, t Target, obs Observation) error
	// RecordLog records ggserr.log entries as they arrive (StepLog).
	RecordLog(ctx context.Context, t Target, entries []LogEntry) error
}

// DefaultCheckTimeout bounds a check whose target names no timeout.
const DefaultCheckTimeout = 30 * time.Second

var cronParser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule checks a cron spec with a seconds field ("*/10 * * * * *") or a
// descriptor ("@every 10s") and returns the period between its first two runs.
func ParseSchedule(spec string) (time.Duration, error) {
	s, err := cronParser.Parse(spec)
	if err != nil {
		return 0, fmt.Errorf("schedule %q: %w", spec, err)
	}
	first := s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	return s.Next(first).Sub(first), nil
}

// Check is one target with the collector that reads it.
type Check struct {
	Target    Target
	Collector Collector
}

// RunCheck runs one check with the target's deadline and returns the observation.
func RunCheck(ctx context.Context, c Check, now func() time.Time) Observation {
	timeout := c.Target.Timeout
	if timeout <= 0 {
		timeout = DefaultCheckTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	obs := Observation{Target: c.Target.Name, Kind: c.Target.Kind}
	var err error
	if o, ok := c.Collector.(Observer); ok {
		err = o.Observe(ctx, &obs)
	} else {
		obs.Processes, err = c.Collector.Collect(ctx)
	}
	if err != nil && errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrUnreachable) {
		err = fmt.Errorf("no answer within %s: %w: %w", timeout, ErrUnreachable, context.DeadlineExceeded)
	}
	if err != nil {
		err = fmt.Errorf("check %s: %w", c.Target.Name, err)
	}
	obs.ObservedAt, obs.Err = now().UTC(), err
	if lc, ok := c.Collector.(LogCollector); ok && err == nil {
		entries, lerr := lc.CollectLog(ctx)
		obs.Log = entries
		if lerr != nil {
			obs.LogErr = fmt.Errorf("read messages of %s: %w", c.Target.Name, lerr)
		}
	}
	return obs
}

// Scheduler runs every target's check on its cron schedule. A check never
// overlaps itself: a tick that finds the previous run still going is skipped
// and logged.
type Scheduler struct {
	cron      *cron.Cron
	rec       Recorder
	log       *slog.Logger
	now       func() time.Time
	ctx       context.Context
	cancel    context.CancelFunc
	running   atomic.Bool
	follow    []followJob
	events    []eventJob
	byTarget  map[string]*checkJob
	followers sync.WaitGroup // errlog followers and the first checks at Start
	jobs      []*checkJob
	// OnCheck, when set, is told of every finished check (metrics).
	OnCheck func(obs Observation, took time.Duration)

	period  time.Duration // the shortest schedule's
	timeout time.Duration // the longest check timeout
	health  sync.Mutex    // guards the fields below (Health)
	start   time.Time
	last    time.Time
	failed  map[string]bool // by target: the last check failed
	count   int
}

// Health reports when checks last finished and which targets fail, for the
// self-monitor (SelfWatch.Checks).
func (s *Scheduler) Health() SchedulerHealth {
	s.health.Lock()
	defer s.health.Unlock()
	h := SchedulerHealth{Started: s.start, LastFinished: s.last, Period: s.period, Timeout: s.timeout, Targets: s.count}
	for t, bad := range s.failed {
		if bad {
			h.Failing = append(h.Failing, t)
		}
	}
	if !s.running.Load() {
		h.Started = time.Time{}
	}
	return h
}

func (s *Scheduler) finished(target string, failed bool) {
	s.health.Lock()
	defer s.health.Unlock()
	s.last = time.Now()
	s.failed[target] = failed
}

// NewScheduler plans one cron job per check.
func NewScheduler(checks []Check, rec Recorder, log *slog.Logger, now func() time.Time) (*Scheduler, error) {
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{cron: cron.New(cron.WithParser(cronParser)), rec: rec, log: log, now: now, ctx: ctx, cancel: cancel,
		failed: map[string]bool{}, count: len(checks)}
	for _, c := range checks {
		if p, err := ParseSchedule(c.Target.Schedule); err == nil && p > 0 && (s.period == 0 || p < s.period) {
			s.period = p
		}
		timeout := c.Target.Timeout
		if timeout <= 0 {
			timeout = DefaultCheckTimeout
		}
		s.timeout = max(s.timeout, timeout)
		j := s.job(c)
		if _, err := s.cron.AddJob(c.Target.Schedule, j); err != nil {
			cancel()
			return nil, fmt.Errorf("schedule target %s: %w", c.Target.Name, err)
		}
		s.jobs = append(s.jobs, j)
	}
	return s, nil
}

func (s *Scheduler) job(c Check) *checkJob {
	j := &checkJob{s: s, c: c}
	if s.byTarget == nil {
		s.byTarget = map[string]*checkJob{}
	}
	s.byTarget[c.Target.Name] = j
	return j
}

// RunOnce runs one check now and records it.
func (s *Scheduler) RunOnce(ctx context.Context, c Check) {
	start := time.Now()
	obs := RunCheck(ctx, c, s.now)
	took := time.Since(start)
	if obs.Err != nil {
		// The detail (a collector's stderr) is for admins, redacted;
		// screens, alerts and events get ErrorClass only.
		s.log.Warn("check failed", "target", c.Target.Name, "class", ErrorClass(obs.Err), "err", Redact(obs.Err.Error()))
	}
	for _, u := range obs.Unread {
		// A whole source unread (the heartbeat query failing) holds its
		// alerts as they are: say so. A group's failed command is routine
		// (a pump has no SHOWTRANS), so only at debug level.
		level := slog.LevelDebug
		if u.Group == "" {
			level = slog.LevelWarn
		}
		s.log.Log(ctx, level, "check could not read part of the target; its alerts stay as they are",
			"target", c.Target.Name, "source", u.Source, "process", strings.TrimSpace(u.Program+" "+u.Group), "err", Redact(u.Error))
	}
	if obs.LogErr != nil {
		s.log.Warn("check could not read the target's messages; OGG errors there are not seen", "target", c.Target.Name, "err", Redact(obs.LogErr.Error()))
	}
	if s.OnCheck != nil {
		s.OnCheck(obs, took)
	}
	if err := s.rec.Record(ctx, c.Target, obs); errors.Is(err, ErrUnpersisted) {
		// Shown from memory; the syncmon/store alert and the self-monitor's
		// log line tell of the outage once, not once a check.
		s.log.Debug("record check", "target", c.Target.Name, "err", err)
	} else if err != nil {
		s.log.Error("record check", "target", c.Target.Name, "err", err)
	}
	s.finished(c.Target.Name, obs.Err != nil)
}

// Follow makes Start run f, the follower of t's own log (its ggserr.log),
// recording each batch of entries as it arrives.
func (s *Scheduler) Follow(t Target, f LogFollower) {
	s.follow = append(s.follow, followJob{target: t, f: f})
}

type followJob struct {
	target Target
	f      LogFollower
}

// Start begins scheduling (and following logs), and takes a first look at
// every target at once rather than at its first tick.
func (s *Scheduler) Start() {
	s.health.Lock()
	s.start = time.Now()
	s.health.Unlock()
	s.running.Store(true)
	s.cron.Start()
	for _, j := range s.jobs {
		s.followers.Add(1)
		go func() {
			defer s.followers.Done()
			j.Run() // the job's own flag keeps it from overlapping a tick
		}()
	}
	s.startEvents()
	for _, j := range s.follow {
		s.followers.Add(1)
		go func() {
			defer s.followers.Done()
			err := j.f.Run(s.ctx, func(entries []LogEntry) error {
				return s.rec.RecordLog(s.ctx, j.target, entries)
			})
			if err != nil {
				s.log.Error("follow errlog", "target", j.target.Name, "path", j.target.ErrLog, "err", err)
			}
		}()
	}
}

// Running reports whether the scheduler has been started and not stopped.
func (s *Scheduler) Running() bool { return s.running.Load() }

// Stop stops scheduling and waits for running checks until ctx ends, then
// cancels them.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.running.Store(false)
	done := s.cron.Stop()
	defer func() {
		s.cancel()
		s.followers.Wait()
	}()
	select {
	case <-done.Done():
		return nil
	case <-ctx.Done():
		s.cancel()
		<-done.Done()
		return fmt.Errorf("stop scheduler: %w", ctx.Err())
	}
}
