package main

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/internal/testutil"
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
// locked" past the busy timeout), so both the self-monitor's ping and the
// scheduler's recording of checks fail. Pings resume once it lets go and
// the store's hold on its newest failure (storeHold) has passed.
func TestHeartbeatStopsWhileStoreFails(t *testing.T) {
	const interval = 400 * time.Millisecond
	ctx := context.Background()
	st, path := openHealthStore(t)
	cfg := config.Default()
	cfg.Targets[0].Schedule = "@every 1s"
	checks, err := buildChecks(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := monitor.NewScheduler(checks, st, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SyncTargets(ctx, []string{"demo"}); err != nil {
		t.Fatal(err)
	}
	sched.Start()
	defer sched.Stop(ctx)
	self := newSelfWatch(st, sched, true, time.Now, slog.New(slog.DiscardHandler))
	self.Interval, self.StoreTimeout = interval/4, interval/2
	selfCtx, stopSelf := context.WithCancel(ctx)
	defer stopSelf()
	go self.Run(selfCtx)

	rcv := &pingReceiver{got: make(chan struct{}, 1)}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	hb := config.NotificationDefaults()
	hb.Name, hb.Kind, hb.URL, hb.Interval, hb.Timeout = "watchdog", config.NotifyHeartbeat, monitor.Secret(srv.URL+"/ping/uuid"), interval, time.Second
	n := notify.New(st, []config.Notification{hb}, notify.Options{Health: self})
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

	tx := lockDatabase(t, path)
	failedAt := time.Now()
	testutil.Eventually(t, 2*interval, "unhealthy with the database locked by another process", func() bool {
		ok, reason := self.Healthy()
		return !ok && reason != ""
	})
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
	rcv.waitPings(t, stopped+2, storeHold+4*interval+3*time.Second)
	if s := n.Stats()[0]; s.Delivered < uint64(stopped+1) || s.Kind != config.NotifyHeartbeat {
		t.Errorf("stats %+v, want at least %d delivered", s, stopped+1)
	}
}

// openHealthStore opens a real database file, closed at cleanup.
func openHealthStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "syncmon.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// lockDatabase holds the database's write lock from another connection,
// as another process would, until the test rolls the transaction back.
func lockDatabase(t *testing.T, path string) *sql.Tx {
	t.Helper()
	lock, err := sql.Open("sqlite3", "file:"+path+"?_txlock=exclusive&_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Close() })
	tx, err := lock.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	if _, err := tx.Exec(`INSERT INTO health (id, at) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET at = 'x'`); err != nil {
		t.Fatal(err)
	}
	return tx
}

// healthViews is what each outside view says of SyncMon's health after
// one look of the self-monitor.
type healthViews struct {
	healthy bool    // SelfWatch.Healthy: what the heartbeat channel follows
	readyz  int     // GET /readyz's status
	gauge   float64 // syncmon_healthy
	alerted bool    // the look found store or checks trouble: a syncmon alert opens
	reason  string
}

// agree reports whether every view tells the same story.
func (v healthViews) agree() bool {
	return v.healthy == (v.readyz == http.StatusOK) && v.healthy == (v.gauge == 1) && v.healthy == !v.alerted
}

// spyRecorder keeps the findings of the self-monitor's last look on their
// way to the store: the syncmon alerts are a function of them.
type spyRecorder struct {
	monitor.SelfRecorder
	mu   sync.Mutex
	last []monitor.Finding
}

func (r *spyRecorder) RecordSelf(ctx context.Context, fs []monitor.Finding) error {
	r.mu.Lock()
	r.last = fs
	r.mu.Unlock()
	return r.SelfRecorder.RecordSelf(ctx, fs)
}

func (r *spyRecorder) trouble() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.last {
		if f.Group == monitor.ComponentStore || f.Group == monitor.ComponentCheck {
			return true
		}
	}
	return false
}

// The heartbeat channel, /readyz, syncmon_healthy and the syncmon alerts
// have one judge, and so agree after every look: while the scheduler
// stalls (its only collector wedged), once it runs again, and while the
// store cannot write (another process holds its lock). Wired as serve
// wires them, on a real database and a real HTTP server.
func TestHealthViewsAgreeOnStallAndStoreFault(t *testing.T) {
	ctx := context.Background()
	st, path := openHealthStore(t)
	var wedged atomic.Bool
	release := make(chan struct{})
	target := monitor.Target{Name: "demo", Kind: monitor.KindSimulator, Schedule: "@every 1s", Timeout: time.Second,
		Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	collect := monitor.CollectorFunc(func(context.Context) ([]monitor.Process, error) {
		if wedged.Load() {
			<-release // a collector that ignores its deadline: the check never finishes
		}
		return []monitor.Process{{Program: "MANAGER", Status: monitor.StatusRunning}}, nil
	})
	if err := st.SyncTargets(ctx, []string{"demo"}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	sched, err := monitor.NewScheduler([]monitor.Check{{Target: target, Collector: collect}}, st, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	sched.Start()
	defer sched.Stop(ctx)
	defer close(release) // before Stop: the wedged checks finish

	self := newSelfWatch(st, sched, true, time.Now, log)
	spy := &spyRecorder{SelfRecorder: self.Rec}
	self.Rec = spy
	metrics := handlers.NewMetrics()
	if err := metrics.Register(healthGauge(self)); err != nil {
		t.Fatal(err)
	}
	srv, err := handlers.New(handlers.Options{Store: st, Log: log, Version: "test", Metrics: metrics,
		Ready: readyUnlessUnhealthy(self, func(context.Context) error { return nil })})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()

	look := func() healthViews {
		t.Helper()
		self.Look(ctx)
		v := healthViews{alerted: spy.trouble()}
		v.healthy, v.reason = self.Healthy()
		v.readyz = httpStatus(t, hs.URL+"/readyz")
		v.gauge = gaugeValue(t, hs.URL+"/metrics", "syncmon_healthy")
		if !v.agree() {
			t.Fatalf("the health views disagree: %+v", v)
		}
		return v
	}
	lookUntil := func(what string, healthy bool) healthViews {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			if v := look(); v.healthy == healthy {
				return v
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 15 s", what)
			}
			time.Sleep(200 * time.Millisecond) // between looks, as Run's ticker
		}
	}

	testutil.Eventually(t, 30*time.Second, "a first check finished", func() bool { return !sched.Health().LastFinished.IsZero() })
	lookUntil("healthy at start", true)

	wedged.Store(true)
	if v := lookUntil("the stall seen", false); !strings.Contains(v.reason, "checks") {
		t.Errorf("reason %q, want the checks named", v.reason)
	}
	wedged.Store(false)
	release <- struct{}{} // one wedged check finishes
	lookUntil("healthy once checks finish again", true)

	lockDatabase(t, path)
	if v := lookUntil("the store fault seen", false); !strings.Contains(v.reason, "store") {
		t.Errorf("reason %q, want the store named", v.reason)
	}
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// gaugeValue reads one gauge from a Prometheus text exposition.
func gaugeValue(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	f, ok := families[name]
	if !ok || len(f.GetMetric()) != 1 {
		t.Fatalf("%s: no single %s", url, name)
	}
	return f.GetMetric()[0].GetGauge().GetValue()
}
