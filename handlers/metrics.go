package handlers

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// Metrics is SyncMon's Prometheus exposition. The OGG gauges are read from
// the store at scrape time, so they always agree with the dashboard; the
// latencies are observed as things happen. Labels stay bounded: target,
// program and group come from the config and the deployments, never from
// requests.
type Metrics struct {
	reg           *prometheus.Registry
	checkDuration *prometheus.HistogramVec
	checkFailures *prometheus.CounterVec
	storeWrite    prometheus.Histogram
	delivery      prometheus.Histogram
	delivered     prometheus.Counter
}

// NewMetrics registers SyncMon's metrics and the Go runtime's.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		checkDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "syncmon_check_duration_seconds", Help: "How long one check of a target took.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"target"}),
		checkFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncmon_check_failures_total", Help: "Checks that could not read their target.",
		}, []string{"target"}),
		storeWrite: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "syncmon_store_write_duration_seconds", Help: "One write transaction, lock wait included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		delivery: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "syncmon_delivery_latency_seconds", Help: "From an event's commit to its hand-off to a connected screen.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "syncmon_events_delivered_total", Help: "Events handed to connected screens.",
		}),
	}
	m.reg.MustRegister(m.checkDuration, m.checkFailures, m.storeWrite, m.delivery, m.delivered,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Register adds a collector of the caller's (SyncMon's own health) to
// what /metrics serves.
func (m *Metrics) Register(c prometheus.Collector) error { return m.reg.Register(c) }

// ObserveCheck records one finished check (monitor.Scheduler.OnCheck).
func (m *Metrics) ObserveCheck(obs monitor.Observation, took time.Duration) {
	m.checkDuration.WithLabelValues(obs.Target).Observe(took.Seconds())
	if obs.Err != nil {
		m.checkFailures.WithLabelValues(obs.Target).Inc()
	} else {
		m.checkFailures.WithLabelValues(obs.Target).Add(0)
	}
}

// StoreObserver reports the store's latencies here.
func (m *Metrics) StoreObserver() store.Observer {
	return store.Observer{
		Write: func(d time.Duration) { m.storeWrite.Observe(d.Seconds()) },
		Delivery: func(d time.Duration) {
			m.delivery.Observe(d.Seconds())
			m.delivered.Inc()
		},
	}
}

// stateCollector reads the current OGG and delivery state at scrape time.
type stateCollector struct {
	s *Server

	up, lag, ckpt, alerts, clients, dropped, subscribers *prometheus.Desc
	pathUp, pathLag                                      *prometheus.Desc
}

func newStateCollector(s *Server) *stateCollector {
	pg := []string{"target", "program", "group"}
	return &stateCollector{s: s,
		up:          prometheus.NewDesc("syncmon_ogg_process_up", "1 when the OGG process is RUNNING, else 0.", append(pg, "status"), nil),
		lag:         prometheus.NewDesc("syncmon_ogg_lag_seconds", "Lag at checkpoint (REST: lag).", pg, nil),
		ckpt:        prometheus.NewDesc("syncmon_ogg_checkpoint_age_seconds", "Time since checkpoint (REST: sinceLagReported).", pg, nil),
		alerts:      prometheus.NewDesc("syncmon_alerts_active", "Active alerts by severity and state.", []string{"severity", "state"}, nil),
		clients:     prometheus.NewDesc("syncmon_clients_connected", "Connected screens by transport.", []string{"transport"}, nil),
		dropped:     prometheus.NewDesc("syncmon_subscribers_dropped_total", "Subscribers dropped for not keeping up.", nil, nil),
		subscribers: prometheus.NewDesc("syncmon_subscribers", "Live event subscriptions.", nil, nil),
		pathUp: prometheus.NewDesc("syncmon_ogg_path_up", "1 when the distribution or receiver path is RUNNING, else 0.",
			[]string{"target", "deployment", "kind", "path", "status"}, nil),
		pathLag: prometheus.NewDesc("syncmon_ogg_path_lag_seconds", "Lag of a distribution or receiver path (…/info lag).",
			[]string{"target", "deployment", "kind", "path"}, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.lag, c.ckpt, c.alerts, c.clients, c.dropped, c.subscribers, c.pathUp, c.pathLag} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.s.store.State(ctx)
	if err == nil {
		for _, t := range st.Targets {
			for _, p := range t.Processes {
				up := 0.0
				if p.Status == monitor.StatusRunning && t.Reachable {
					up = 1
				}
				ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, t.Name, p.Program, p.Group, p.Status)
				if p.LagSeconds != nil {
					ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(*p.LagSeconds), t.Name, p.Program, p.Group)
				}
				if p.CheckpointAgeSeconds != nil {
					ch <- prometheus.MustNewConstMetric(c.ckpt, prometheus.GaugeValue, float64(*p.CheckpointAgeSeconds), t.Name, p.Program, p.Group)
				}
			}
		}
		for _, t := range st.Targets {
			c.collectPaths(ch, t)
		}
		counts := map[[2]string]int{}
		for _, sev := range []string{monitor.SeverityWarning, monitor.SeverityCritical} {
			for _, state := range []string{monitor.StateOpen, monitor.StateAcked} {
				counts[[2]string{sev, state}] = 0
			}
		}
		for _, a := range st.Alerts {
			counts[[2]string{a.Severity, a.State}]++
		}
		for k, n := range counts {
			ch <- prometheus.MustNewConstMetric(c.alerts, prometheus.GaugeValue, float64(n), k[0], k[1])
		}
	} else {
		c.s.log.Warn("metrics: read state", "err", err)
	}
	for transport, n := range c.s.screens.count() {
		ch <- prometheus.MustNewConstMetric(c.clients, prometheus.GaugeValue, float64(n), transport)
	}
	subs, dropped := c.s.store.FeedStats()
	ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(dropped))
	ch <- prometheus.MustNewConstMetric(c.subscribers, prometheus.GaugeValue, float64(subs))
}

func (s *Server) serveMetrics(c echo.Context) error {
	s.metricsHandler.ServeHTTP(c.Response(), c.Request())
	return nil
}

func (s *Server) newMetricsHandler() http.Handler {
	m := s.opt.Metrics
	if m == nil {
		m = NewMetrics()
		s.opt.Metrics = m
	}
	m.reg.MustRegister(newStateCollector(s), newClusterCollector(s))
	if s.opt.Notifications != nil {
		m.reg.MustRegister(newNotifyCollector(s.opt.Notifications))
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil, ErrorHandling: promhttp.ContinueOnError})
}

// metricsAllowed is /metrics' access policy: a scraper on the same host
// (loopback, and no proxy in between: a reverse proxy on loopback would
// otherwise open it to everyone), the configured bearer token from any
// address, or an admin's credentials.
func (s *Server) metricsAllowed(c echo.Context, p principal) bool {
	r := c.Request()
	if want := s.opt.Auth.MetricsToken.Reveal(); want != "" {
		if got, ok := strings.CutPrefix(r.Header.Get(echo.HeaderAuthorization), "Bearer "); ok &&
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) == 1 {
			return true
		}
	}
	if p.Kind == kindUser && p.Role >= RoleAdmin {
		return true
	}
	return isLoopback(r)
}

// isLoopback reports whether the request comes straight from this host.
func isLoopback(r *http.Request) bool {
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != "" {
		return false
	}
	ip := net.ParseIP(clientAddress(r))
	return ip != nil && ip.IsLoopback()
}

// collectPaths exposes a target's distribution and receiver paths.
func (c *stateCollector) collectPaths(ch chan<- prometheus.Metric, t store.TargetState) {
	if t.Paths == nil {
		return
	}
	for _, p := range *t.Paths {
		up := 0.0
		if p.Status == monitor.StatusRunning && t.Reachable {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.pathUp, prometheus.GaugeValue, up, t.Name, p.Deployment, p.Kind, p.Name, p.Status)
		if p.LagSeconds != nil {
			ch <- prometheus.MustNewConstMetric(c.pathLag, prometheus.GaugeValue, float64(*p.LagSeconds), t.Name, p.Deployment, p.Kind, p.Name)
		}
	}
}
