// Package simulator is a built-in fake deployment whose processes run, lag,
// abend and recover on a fixed cycle: the default target when no config is
// given, and what tests drive.
package simulator

import (
	"context"
	"math"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// Simulator is a built-in fake deployment: MANAGER, three EXTRACTs and two
// REPLICATs whose lag and checkpoint age wander. Its scenario repeats every
// Cycle: REPLICAT REP1 abends 20 s in and recovers a minute later,
// and EXTRACT EXT2's lag climbs over the warning threshold (and, every third
// cycle, over the critical one) from 110 s to 150 s.
//
// The state is a pure function of the time since the simulator was made, so
// tests drive it with a clock of their own.
type Simulator struct {
	name  string
	start time.Time
	now   func() time.Time
	speed float64
}

// Cycle is the length of the simulator's repeating scenario.
const Cycle = 180 * time.Second

// New returns a simulator whose scenario starts now.
func New(name string, now func() time.Time) *Simulator {
	if now == nil {
		now = time.Now
	}
	return &Simulator{name: name, start: now(), now: now, speed: 1}
}

// WithSpeed runs the scenario faster (speed > 1) or slower, for demos and tests.
func (s *Simulator) WithSpeed(speed float64) *Simulator {
	if speed > 0 {
		s.speed = speed
	}
	return s
}

// Collect returns the simulated process table at the current time.
func (s *Simulator) Collect(ctx context.Context) ([]monitor.Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	elapsed := time.Duration(float64(s.now().Sub(s.start)) * s.speed)
	return Processes(elapsed), nil
}

// Observe fills obs with the process table and the deeper sources a
// Microservices deployment shows: one distribution path, the heartbeat
// that crosses it and one open transaction of EXT1. They stay healthy, so
// the scenario's alerts are those of Processes alone.
func (s *Simulator) Observe(ctx context.Context, obs *monitor.Observation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.now()
	elapsed := time.Duration(float64(now.Sub(s.start)) * s.speed)
	obs.Processes = Processes(elapsed)
	obs.Paths, obs.Heartbeats, obs.Transactions = Depth(elapsed, now)
	return nil
}

// Depth is the simulator's path, heartbeat and open transaction at elapsed
// time into its scenario; now dates the transaction.
func Depth(elapsed time.Duration, now time.Time) ([]monitor.Path, []monitor.Heartbeat, []monitor.Transaction) {
	if elapsed < 0 {
		elapsed = 0
	}
	sec := elapsed.Seconds()
	lag := int64(math.Round(2 + 1.5*math.Sin(2*math.Pi*sec/41)))
	since := int64(sec) % 10
	paths := []monitor.Path{{Name: "dpeast2west", Kind: monitor.PathDistribution, Status: monitor.StatusRunning, Source: "EXT1",
		Target: "wss://west.example:9103/services/v2/targets?trail=rt", LagSeconds: &lag, CheckpointAgeSeconds: &since}}
	hbLag := math.Round((3.5+2*math.Sin(2*math.Pi*sec/67))*100) / 100
	hbs := []monitor.Heartbeat{{Direction: monitor.HeartbeatIncoming, From: "EAST", To: "WEST", Path: "EXT1 ==> dpeast2west ==> REP1",
		LagSeconds: hbLag, AgeSeconds: float64(int64(sec) % 60)}}
	// A batch job's transaction, open for 20 minutes at each cycle's start.
	age := int64(20*60 + (elapsed % Cycle).Seconds())
	started := now.Add(-time.Duration(age) * time.Second).UTC().Truncate(time.Second)
	items := int64(1200 + 40*int64((elapsed%Cycle).Seconds()))
	txs := []monitor.Transaction{{Process: "EXT1", XID: "5.15.930", StartedAt: &started, AgeSeconds: &age, Items: &items, RedoThread: 1, Status: "Running"}}
	return paths, hbs, txs
}

// Processes is the simulator's process table at elapsed time into its scenario.
func Processes(elapsed time.Duration) []monitor.Process {
	if elapsed < 0 {
		elapsed = 0
	}
	cycle := int(elapsed / Cycle)
	t := (elapsed % Cycle).Seconds()
	sec := elapsed.Seconds()
	wander := func(base, amp, period, phase float64) *int64 {
		v := int64(math.Round(base + amp*math.Sin(2*math.Pi*sec/period+phase)))
		if v < 0 {
			v = 0
		}
		return &v
	}

	procs := []monitor.Process{
		{Program: "MANAGER", Status: monitor.StatusRunning},
		{Program: "EXTRACT", Group: "EXT1", Status: monitor.StatusRunning, LagSeconds: wander(3, 2, 47, 0), CheckpointAgeSeconds: wander(6, 4, 29, 1)},
		{Program: "EXTRACT", Group: "EXT2", Status: monitor.StatusRunning, LagSeconds: wander(5, 3, 61, 2), CheckpointAgeSeconds: wander(5, 4, 31, 2)},
		{Program: "EXTRACT", Group: "PUMP1", Status: monitor.StatusRunning, LagSeconds: wander(1, 1, 37, 3), CheckpointAgeSeconds: wander(4, 3, 23, 3)},
		{Program: "REPLICAT", Group: "REP1", Status: monitor.StatusRunning, LagSeconds: wander(4, 3, 53, 4), CheckpointAgeSeconds: wander(7, 5, 41, 4)},
		{Program: "REPLICAT", Group: "REP2", Status: monitor.StatusRunning, LagSeconds: wander(2, 2, 43, 5), CheckpointAgeSeconds: wander(5, 4, 37, 5)},
	}

	// REP1 abends 20 s into the cycle and is restarted 60 s later; while it is
	// down its checkpoint ages and its last lag stays where it was.
	if t >= 20 && t < 80 {
		rep1 := &procs[4]
		rep1.Status = monitor.StatusAbended
		lag := int64(6)
		age := int64(t - 20 + 8)
		rep1.LagSeconds, rep1.CheckpointAgeSeconds = &lag, &age
	}

	// EXT2 falls behind from 110 s to 150 s: its lag climbs to a peak at 130 s.
	if t >= 110 && t < 150 {
		peak := 95.0
		if cycle%3 == 2 {
			peak = 340
		}
		frac := 1 - math.Abs(t-130)/20
		lag := int64(math.Round(10 + (peak-10)*frac))
		procs[2].LagSeconds = &lag
	}
	return procs
}
