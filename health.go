package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// health is SyncMon's own answer to "can I do my job?", for the heartbeat
// channel (notify.Health): the store takes writes (a write right now, and the
// last check was recorded) and checks keep finishing (none finished for
// three of the longest schedule's periods, plus a check's timeout, means
// the scheduler stalled). It wraps the scheduler's Recorder to see both.
type health struct {
	monitor.Recorder
	ping        func(context.Context) error // a real write: store.Ping
	pingTimeout time.Duration
	stallAfter  time.Duration
	now         func() time.Time

	mu        sync.Mutex
	lastCheck time.Time // last check finished (recorded or not); start time before any
	recordErr error     // the last check's recording failed with this
}

func newHealth(rec monitor.Recorder, ping func(context.Context) error, checks []monitor.Check, now func() time.Time) *health {
	var period, timeout time.Duration
	for _, c := range checks {
		if p, err := monitor.ParseSchedule(c.Target.Schedule); err == nil && p > period {
			period = p
		}
		timeout = max(timeout, c.Target.Timeout)
	}
	return &health{Recorder: rec, ping: ping, pingTimeout: 3 * time.Second,
		stallAfter: 3*period + timeout, now: now, lastCheck: now()}
}

// Record records a finished check through the store and remembers how that went.
func (h *health) Record(ctx context.Context, t monitor.Target, obs monitor.Observation) error {
	err := h.Recorder.Record(ctx, t, obs)
	h.mu.Lock()
	h.lastCheck, h.recordErr = h.now(), err
	h.mu.Unlock()
	return err
}

// Healthy implements notify.Health.
func (h *health) Healthy() (bool, string) {
	ctx, cancel := context.WithTimeout(context.Background(), h.pingTimeout)
	defer cancel()
	if err := h.ping(ctx); err != nil {
		return false, fmt.Sprintf("store: %v", err)
	}
	h.mu.Lock()
	last, recErr := h.lastCheck, h.recordErr
	h.mu.Unlock()
	if recErr != nil {
		return false, fmt.Sprintf("store: the last check was not recorded: %v", recErr)
	}
	if idle := h.now().Sub(last); h.stallAfter > 0 && idle > h.stallAfter {
		return false, fmt.Sprintf("checks: none finished for %s", idle.Round(time.Second))
	}
	return true, ""
}
