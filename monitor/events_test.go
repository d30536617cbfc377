package monitor_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// pokeFollower reports a change whenever told to on its channel.
type pokeFollower struct{ poke chan struct{} }

func (f pokeFollower) Run(ctx context.Context, sink monitor.EventSink) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-f.poke:
			sink.Changed()
		}
	}
}

// A change an event follower reports checks the target at once; a change
// that arrives while a check is running makes it run once more after.
func TestEventChangeChecksAtOnce(t *testing.T) {
	var calls atomic.Int32
	started := make(chan struct{}, 10)
	release := make(chan struct{}, 10)
	c := monitor.CollectorFunc(func(ctx context.Context) ([]monitor.Process, error) {
		calls.Add(1)
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil
	})
	target := monitor.Target{Name: "ev", Kind: "test", Schedule: "@every 1h", Timeout: time.Minute}
	rec := &countingRecorder{}
	s, err := monitor.NewScheduler([]monitor.Check{{Target: target, Collector: c}}, rec, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	f := pokeFollower{poke: make(chan struct{})}
	s.FollowEvents(target, f)
	s.Start()
	wait := func(what string) {
		t.Helper()
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no check within 10 s", what)
		}
	}
	wait("the first check at start")
	f.poke <- struct{}{} // a change while the first check runs
	release <- struct{}{}
	wait("the change that came while busy")
	release <- struct{}{}
	f.poke <- struct{}{} // a change while idle, an hour before the next tick
	wait("the change while idle")
	release <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 3 {
		t.Fatalf("collector called %d times, want 3", got)
	}
}

// RunCheck prefers an Observer: it fills the deeper sources too.
func TestRunCheckObserver(t *testing.T) {
	lag := int64(4)
	o := observerFunc(func(ctx context.Context, obs *monitor.Observation) error {
		obs.Processes = []monitor.Process{{Program: "ADMINSRVR", Group: "east", Deployment: "east", Status: monitor.StatusRunning}}
		obs.Paths = []monitor.Path{{Deployment: "east", Name: "dp1", Kind: monitor.PathDistribution, Status: monitor.StatusRunning, LagSeconds: &lag}}
		return nil
	})
	obs := monitor.RunCheck(context.Background(), monitor.Check{Target: monitor.Target{Name: "o"}, Collector: o}, time.Now)
	if obs.Err != nil || len(obs.Processes) != 1 || len(obs.Paths) != 1 || obs.Target != "o" || obs.ObservedAt.IsZero() {
		t.Fatalf("got %+v", obs)
	}
}

type observerFunc func(ctx context.Context, obs *monitor.Observation) error

func (f observerFunc) Observe(ctx context.Context, obs *monitor.Observation) error {
	return f(ctx, obs)
}
func (f observerFunc) Collect(ctx context.Context) ([]monitor.Process, error) {
	var obs monitor.Observation
	err := f(ctx, &obs)
	return obs.Processes, err
}
