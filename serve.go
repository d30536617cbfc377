package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"time"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/monitor/errlog"
	"github.com/syncmon/syncmon/monitor/ggsci"
	"github.com/syncmon/syncmon/monitor/rest"
	"github.com/syncmon/syncmon/monitor/simulator"
	"github.com/syncmon/syncmon/notify"
	"github.com/syncmon/syncmon/static"
	"github.com/syncmon/syncmon/store"
	"github.com/syncmon/syncmon/templates"
)

// version is the stamped release (buildVersion, see version.go) plus a hash
// of the embedded UI, so that a wall display reloads itself after an upgrade.
func version() string {
	h := sha256.New()
	for _, fsys := range []fs.FS{static.FS, templates.FS} {
		_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := fs.ReadFile(fsys, p)
				h.Write([]byte(p))
				h.Write(b)
			}
			return nil
		})
	}
	return buildVersion + "+" + hex.EncodeToString(h.Sum(nil))[:8]
}

// loadConfig reads the file named by --config, or the built-in demo defaults.
func loadConfig(path string, getenv func(string) string) (config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path, getenv)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// buildChecks makes one check per configured target, with the collector
// for its kind.
func buildChecks(cfg config.Config) ([]monitor.Check, error) {
	var checks []monitor.Check
	for _, t := range cfg.Targets {
		if t.Name == monitor.SelfTarget {
			return nil, fmt.Errorf("target %s: the name is SyncMon's own (its syncmon alerts); choose another", t.Name)
		}
		c, err := newCollector(t, cfg.Speeds[t.Name])
		if err != nil {
			return nil, err
		}
		checks = append(checks, monitor.Check{Target: t, Collector: c})
	}
	return checks, nil
}

// newCollector picks the collector for t's kind; speed is the simulator's.
func newCollector(t monitor.Target, speed float64) (monitor.Collector, error) {
	switch t.Kind {
	case monitor.KindSimulator:
		return simulator.New(t.Name, time.Now).WithSpeed(speed), nil
	case monitor.KindGGSCI, monitor.KindAdminClient:
		return ggsci.NewCollector(t), nil
	case monitor.KindREST:
		if t.ServiceManagerURL != "" {
			return rest.NewFleet(t)
		}
		return rest.NewCollector(t)
	default:
		return nil, fmt.Errorf("target %s: unknown kind %q", t.Name, t.Kind)
	}
}

// followErrLogs makes sched follow each target's ggserr.log, and each
// Service Manager target's status changes and messages, with offsets and
// cursors kept in st so a restart resumes where it stopped.
func followErrLogs(sched *monitor.Scheduler, checks []monitor.Check, st monitor.OffsetStore, log *slog.Logger) {
	for _, c := range checks {
		if c.Target.ErrLog != "" {
			sched.Follow(c.Target, errlog.NewFollower(c.Target.ErrLog, st, log))
		}
		if f, ok := c.Collector.(*rest.Fleet); ok {
			sched.FollowEvents(c.Target, f.Events(st, log))
		}
	}
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	cfgPath := fl.String("config", "", "config file (YAML); none: the built-in demo")
	listen := fl.String("listen", "", "listen address, overriding the config's")
	database := fl.String("database", "", "SQLite file, overriding the config's")
	if err := fl.Parse(args); err != nil {
		return exitError{2}
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *database != "" {
		cfg.Database = *database
	}
	log := newLogger(cfg, stderr)

	stopClock := make(chan struct{})
	defer close(stopClock)
	clock := newClock(getenv, log, stopClock)
	metrics := handlers.NewMetrics()
	st, err := store.Open(ctx, cfg.Database, store.WithObserver(metrics.StoreObserver()), store.WithClock(clock))
	if err != nil {
		return err
	}
	defer st.Close()
	// The first admin: made here from SYNCMON_ADMIN_PASSWORD (the same on
	// every node of a cluster), or with a random password printed once. A
	// cluster makes that one through the log, on the first writer, so that
	// every node has the same account (clusterRun.firstAdmin).
	adminPassword := getenv("SYNCMON_ADMIN_PASSWORD")
	if cfg.Cluster == nil || adminPassword != "" {
		if err := firstAdmin(ctx, st, adminPassword, log); err != nil {
			return err
		}
	}
	tlsConfig, err := loadTLS(cfg)
	if err != nil {
		return err
	}
	names := make([]string, len(cfg.Targets))
	for i, t := range cfg.Targets {
		names[i] = t.Name
	}
	if err := st.SyncTargets(ctx, names); err != nil {
		return err
	}
	checks, err := buildChecks(cfg)
	if err != nil {
		return err
	}
	newSched := func() (*monitor.Scheduler, error) {
		sched, err := monitor.NewScheduler(checks, st, log, clock)
		if err != nil {
			return nil, err
		}
		sched.OnCheck = metrics.ObserveCheck
		followErrLogs(sched, checks, st, log)
		return sched, nil
	}
	sched, err := newSched()
	if err != nil {
		return err
	}
	// cluster: mode: only the writer lease's holder runs a scheduler (a new
	// one per tenure, serve_cluster.go); sched above is then never started.
	var clu *clusterRun
	if cfg.Cluster != nil {
		if clu, err = startCluster(ctx, cfg.Cluster, st, log, newSched, cfg.Targets); err != nil {
			return err
		}
		defer clu.Close()
	}
	// The self-monitor is the one judge of SyncMon's own health (health.go):
	// its syncmon alerts, the heartbeat channel, /readyz and syncmon_healthy.
	self := newSelfWatch(st, sched, cfg.Cluster == nil, clock, log)
	// Notifications follow the event log (the outbox) from each channel's
	// cursor; deferred after st.Close, so stopped (cancel + wait) before it.
	// In a cluster only the writer sends (serve_cluster_notify.go).
	nopts := notify.Options{Log: log, PublicURL: cfg.PublicURL, Health: self}
	if clu != nil {
		nopts.Gate = clu.Gate()
	}
	notifier := notify.New(st, cfg.Notifications, nopts)
	if clu != nil {
		clu.wake = notifier.Wake // before clu.run
		if adminPassword == "" {
			clu.firstAdmin = func(ctx context.Context) error { return firstAdmin(ctx, st, "", log) }
		}
	}
	if err := notifier.Start(context.Background()); err != nil {
		return err
	}
	defer notifier.Stop()
	self.GaveUp = gaveUp(notifier.Stats)
	if err := metrics.Register(healthGauge(self)); err != nil {
		return fmt.Errorf("register syncmon_healthy: %w", err)
	}

	ready := func(context.Context) error {
		if !sched.Running() {
			return errors.New("scheduler not running")
		}
		return nil
	}
	var clusterStatus func(context.Context) (handlers.ClusterStatus, error)
	if clu != nil {
		ready, clusterStatus = clu.Ready, clu.Status
	}
	ready = readyUnlessUnhealthy(self, ready)
	var csrfKey []byte // nil: this node's own key (server_keys)
	if cfg.Cluster != nil {
		csrfKey = clusterCSRFKey(cfg.Cluster.Secret)
	}
	srv, err := handlers.New(handlers.Options{
		CSRFKey: csrfKey,
		Cluster: clusterStatus,
		Metrics: metrics, Notifications: notifier.Stats, WarmSpeech: true,
		Store: st, Log: log, Version: version(), PingInterval: cfg.PingInterval, SpeechRepeat: cfg.SpeechRepeat,
		StaleAlarm:      cfg.StaleAlarm,
		PageRefresh:     cfg.PageRefresh,
		AnonymousViewer: cfg.Auth.AnonymousViewer, AllowedOrigins: cfg.AllowedOrigins, PublicURL: cfg.PublicURL,
		TrustedProxies: cfg.TrustedProxies,
		Auth: handlers.AuthOptions{SessionIdle: cfg.Auth.SessionIdle, SessionMax: cfg.Auth.SessionMax,
			KioskSessionMax: cfg.Auth.KioskSession, SecureCookies: tlsConfig != nil, MetricsToken: cfg.Auth.MetricsToken},
		Ready: ready,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		srv.Close()
		return fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	httpSrv := srv.HTTPServer() // header and body read timeouts
	httpSrv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	serveErr := make(chan error, 1)
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		httpSrv.TLSConfig = tlsConfig
		go func() { serveErr <- httpSrv.ServeTLS(ln, "", "") }()
	} else {
		go func() { serveErr <- httpSrv.Serve(ln) }()
	}
	log.Info("listening", "addr", ln.Addr().String(), "database", cfg.Database, "targets", len(cfg.Targets), "version", version(), "scheme", scheme)

	cluDone := make(chan struct{})
	cluCtx, stopClu := context.WithCancel(context.Background())
	if clu != nil {
		go func() {
			defer close(cluDone)
			clu.run(cluCtx)
		}()
	} else {
		close(cluDone)
		sched.Start()
	}
	houseDone := make(chan struct{})
	houseCtx, stopHouse := context.WithCancel(context.Background())
	go func() {
		defer close(houseDone)
		writes := func() bool { return true }
		if clu != nil {
			writes = clu.appending.Load // only the writer records events
		}
		housekeeping(houseCtx, st, cfg.Retention, writes, log)
	}()
	// In a cluster the self-monitor follows the tenure's scheduler, records
	// on the writer and tells a non-writer's own screens
	// (serve_cluster_self.go).
	if clu != nil {
		self.Checks, self.Rec, self.Lost = clu.ChecksHealth, clu.SelfRecorder(), clu.LostNodes
	}
	selfDone := make(chan struct{})
	go func() {
		defer close(selfDone)
		self.Run(houseCtx)
	}()

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		log.Error("http server stopped", "err", err)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if clu == nil {
		if err := sched.Stop(shutdownCtx); err != nil {
			log.Warn("stop scheduler", "err", err)
		}
	}
	stopClu() // stops this tenure's scheduler and releases the lease
	<-cluDone
	stopHouse()
	<-houseDone
	<-selfDone
	srv.Close()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	log.Info("stopped")
	return nil
}

// housekeeping resolves expired test alerts, brings silence marks up to
// date as maintenance windows begin and end, and prunes old history.
func housekeeping(ctx context.Context, st *store.Store, keep config.Retention, writes func() bool, log *slog.Logger) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	lastPrune := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if writes() {
			if err := st.ExpireTestAlerts(ctx); err != nil && ctx.Err() == nil {
				log.Warn("expire test alerts", "err", err)
			}
			if err := st.Resilence(ctx); err != nil && ctx.Err() == nil {
				log.Warn("update silences", "err", err)
			}
		}
		if time.Since(lastPrune) >= 10*time.Minute {
			lastPrune = time.Now()
			n, err := st.Prune(ctx, store.Retention{Events: keep.Events, Samples: keep.Samples, ResolvedAlerts: keep.ResolvedAlerts})
			if err != nil && ctx.Err() == nil {
				log.Warn("prune history", "err", err)
			} else if n > 0 {
				log.Info("pruned history", "rows", n)
			}
		}
	}
}

// firstAdmin creates the account "admin" when the database has no account
// at all: with password (SYNCMON_ADMIN_PASSWORD) when set, never logged;
// else with a random password printed to the log once, and nowhere else (it
// is stored only as a bcrypt hash).
func firstAdmin(ctx context.Context, st *store.Store, password string, log *slog.Logger) error {
	if password != "" {
		n, err := st.CountUsers(ctx)
		if err != nil {
			return fmt.Errorf("first start: %w", err)
		}
		if n > 0 {
			return nil
		}
		if _, err := st.CreateUser(ctx, store.Actor{Name: "syncmon"},
			store.NewUser{Name: "admin", Role: store.RoleAdmin, Password: password}); err != nil {
			return fmt.Errorf("first start: admin from SYNCMON_ADMIN_PASSWORD: %w", err)
		}
		log.Warn("no accounts yet: created the admin account with the password in SYNCMON_ADMIN_PASSWORD", "user", "admin")
		return nil
	}
	pw, err := st.CreateFirstAdmin(ctx, 0)
	if err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	if pw != "" {
		log.Warn("no accounts yet: created the admin account; this password is shown only now, change it with `syncmon user passwd admin`",
			"user", "admin", "password", pw)
	}
	return nil
}

// loadTLS reads tls_cert and tls_key when set: SyncMon then serves HTTPS
// itself (TLS 1.2 or later), cookies get Secure and responses HSTS.
func loadTLS(cfg config.Config) (*tls.Config, error) {
	if cfg.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("load tls_cert %s and tls_key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}
