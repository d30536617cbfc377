package main

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/notify"
	"github.com/syncmon/syncmon/store"
)

// pingReceiver is a push monitor on 127.0.0.1: it notes when each ping came.
type pingReceiver struct {
	mu    sync.Mutex
	times []time.Time
	got   chan struct{}
}

func (r *pingReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.times = append(r.times, time.Now())
	r.mu.Unlock()
	select {
	case r.got <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusOK)
}

func (r *pingReceiver) pings() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.times...)
}

// waitPings waits until the receiver has n pings.
func (r *pingReceiver) waitPings(t *testing.T, n int, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for len(r.pings()) < n {
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("got %d pings within %s, want %d", len(r.pings()), within, n)
		}
	}
}

// The heartbeat channel pings every interval while SyncMon is healthy and
// stops within 2 intervals of the store failing; here the failure is real:
// another process holds the database's write lock (SQLite "database is
// locked" past the busy timeout), so both the store's Ping and the
// scheduler's recording of checks fail. Pings resume once it lets go.
func TestHeartbeatStopsWhileStoreFails(t *testing.T) {
	const interval = 400 * time.Millisecond
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "syncmon.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := config.Default()
	cfg.Targets[0].Schedule = "@every 1s"
	checks, err := buildChecks(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hl := newHealth(st, st.Ping, checks, time.Now)
	hl.pingTimeout = interval / 2
	sched, err := monitor.NewScheduler(checks, hl, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SyncTargets(ctx, []string{"demo"}); err != nil {
		t.Fatal(err)
	}
	sched.Start()
	defer sched.Stop(ctx)

	rcv := &pingReceiver{got: make(chan struct{}, 1)}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	hb := config.NotificationDefaults()
	hb.Name, hb.Kind, hb.URL, hb.Interval, hb.Timeout = "watchdog", config.NotifyHeartbeat, monitor.Secret(srv.URL+"/ping/uuid"), interval, time.Second
	n := notify.New(st, []config.Notification{hb}, notify.Options{Health: hl})
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()

	rcv.waitPings(t, 4, 10*interval)
	p := rcv.pings()
	for i := 1; i < len(p); i++ {
		if gap := p[i].Sub(p[i-1]); gap < interval/2 || gap > 2*interval {
			t.Fatalf("ping %d came %s after the one before, want about %s", i, gap, interval)
		}
	}

	lock, err := sql.Open("sqlite3", "file:"+path+"?_txlock=exclusive&_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	tx, err := lock.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO health (id, at) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET at = 'x'`); err != nil {
		t.Fatal(err)
	}
	failedAt := time.Now()
	if ok, reason := hl.Healthy(); ok {
		t.Fatal("healthy with the database locked by another process")
	} else if reason == "" {
		t.Error("unhealthy without a reason")
	}
	// Absence over 5 intervals: no ping later than 2 intervals after the failure.
	quiet := time.After(5 * interval)
	for waiting := true; waiting; {
		select {
		case <-rcv.got:
		case <-quiet:
			waiting = false
		}
	}
	p = rcv.pings()
	if last := p[len(p)-1]; last.Sub(failedAt) > 2*interval {
		t.Fatalf("a ping came %s after the store failed, want none after 2 intervals (%s)", last.Sub(failedAt), 2*interval)
	}
	stopped := len(p)

	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	rcv.waitPings(t, stopped+2, 4*interval+3*time.Second) // +a check's recording to clear the failure
	if s := n.Stats()[0]; s.Delivered < uint64(stopped+1) || s.Kind != config.NotifyHeartbeat {
		t.Errorf("stats %+v, want at least %d delivered", s, stopped+1)
	}
}

// A scheduler that stops finishing checks is trouble too, as is a check
// whose recording failed; a good recording clears it.
func TestHealthStalledAndRecordFailures(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var pingErr error
	rec := &fakeRecorder{}
	h := newHealth(rec, func(context.Context) error { return pingErr }, []monitor.Check{{Target: monitor.Target{Schedule: "@every 10s", Timeout: 5 * time.Second}}}, clock)
	if h.stallAfter != 35*time.Second {
		t.Fatalf("stallAfter %s, want 3 periods + timeout = 35s", h.stallAfter)
	}
	if ok, why := h.Healthy(); !ok {
		t.Fatalf("unhealthy at start: %s", why)
	}
	now = now.Add(36 * time.Second)
	if ok, _ := h.Healthy(); ok {
		t.Fatal("healthy after 36s without a finished check, want stalled")
	}
	ctx := context.Background()
	_ = h.Record(ctx, monitor.Target{}, monitor.Observation{})
	if ok, why := h.Healthy(); !ok {
		t.Fatalf("unhealthy after a check: %s", why)
	}
	rec.err = errors.New("commit: database or disk is full")
	_ = h.Record(ctx, monitor.Target{}, monitor.Observation{})
	if ok, why := h.Healthy(); ok || why == "" {
		t.Fatalf("healthy=%v (%q) after a failed recording, want trouble", ok, why)
	}
	rec.err = nil
	_ = h.Record(ctx, monitor.Target{}, monitor.Observation{})
	pingErr = errors.New("ping database: disk I/O error")
	if ok, _ := h.Healthy(); ok {
		t.Fatal("healthy while the store's ping fails")
	}
}

type fakeRecorder struct{ err error }

func (r *fakeRecorder) Record(context.Context, monitor.Target, monitor.Observation) error {
	return r.err
}
func (r *fakeRecorder) RecordLog(context.Context, monitor.Target, []monitor.LogEntry) error {
	return r.err
}
