package monitor_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

type countingRecorder struct {
	mu  sync.Mutex
	obs []monitor.Observation
}

func (r *countingRecorder) Record(_ context.Context, _ monitor.Target, obs monitor.Observation) error {
	r.mu.Lock()
	r.obs = append(r.obs, obs)
	r.mu.Unlock()
	return nil
}

func (r *countingRecorder) RecordLog(context.Context, monitor.Target, []monitor.LogEntry) error {
	return nil
}

// A check that runs longer than its period is never overlapped: the ticks
// that find it running are skipped.
func TestSchedulerDoesNotOverlapASlowCheck(t *testing.T) {
	var running, maxRunning, calls atomic.Int32
	release := make(chan struct{})
	slow := monitor.CollectorFunc(func(ctx context.Context) ([]monitor.Process, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := maxRunning.Load()
			if n <= m || maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		calls.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil
	})
	skipped := make(chan struct{}, 10)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	log = slog.New(&notifyHandler{Handler: log.Handler(), msg: "check skipped: the previous one is still running", ch: skipped})
	rec := &countingRecorder{}
	target := monitor.Target{Name: "slow", Kind: "test", Schedule: "@every 1s", Timeout: time.Minute}
	s, err := monitor.NewScheduler([]monitor.Check{{Target: target, Collector: slow}}, rec, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	// Wait for two skipped ticks while the first check is still running.
	for range 2 {
		select {
		case <-skipped:
		case <-time.After(10 * time.Second):
			t.Fatal("no tick was skipped")
		}
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("collector called %d times while the first run was going, want 1", got)
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if maxRunning.Load() != 1 {
		t.Fatalf("max concurrent runs = %d, want 1", maxRunning.Load())
	}
}

func TestRunCheckDeadlineMakesTargetUnreachable(t *testing.T) {
	hang := monitor.CollectorFunc(func(ctx context.Context) ([]monitor.Process, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	c := monitor.Check{Target: monitor.Target{Name: "h", Timeout: 50 * time.Millisecond}, Collector: hang}
	obs := monitor.RunCheck(context.Background(), c, time.Now)
	if obs.Err == nil {
		t.Fatal("want an error")
	}
	fs := monitor.Findings(c.Target, obs, time.Now())
	if len(fs) != 1 || fs[0].Rule != monitor.RuleUnreachable {
		t.Fatalf("findings = %+v, want target_unreachable", fs)
	}
}

func TestParseSchedule(t *testing.T) {
	for spec, want := range map[string]time.Duration{"*/10 * * * * *": 10 * time.Second, "@every 5s": 5 * time.Second, "0 * * * * *": time.Minute} {
		got, err := monitor.ParseSchedule(spec)
		if err != nil || got != want {
			t.Errorf("ParseSchedule(%q) = %v, %v; want %v", spec, got, err, want)
		}
	}
	for _, bad := range []string{"", "* * * * *", "@every nope", "61 * * * * *"} {
		if _, err := monitor.ParseSchedule(bad); err == nil {
			t.Errorf("ParseSchedule(%q): want an error", bad)
		}
	}
}

type notifyHandler struct {
	slog.Handler
	msg string
	ch  chan struct{}
}

func (h *notifyHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	return h.Handler.Handle(ctx, r)
}
