package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/syncmon/syncmon/notify"
	"github.com/syncmon/syncmon/store"
)

// notificationsPage shows each outbound channel's counters and the
// deliveries given up on: a notification that could not leave the building
// must not fail silently.
type notificationsPage struct {
	base
	Channels []notify.ChannelStats
	Failures []store.NotifyDelivery
}

func (s *Server) notificationsPage(c echo.Context) error {
	failures, err := s.store.NotifyFailures(c.Request().Context(), 200)
	if err != nil {
		return err
	}
	page := notificationsPage{base: s.base(c, T(langOf(c), "notifications")), Failures: failures}
	if s.opt.Notifications != nil {
		page.Channels = s.opt.Notifications()
	}
	page.Page = "notifications"
	return s.render(c, http.StatusOK, "notifications.html", page)
}

// notifyCollector exports the channels' counters.
type notifyCollector struct {
	stats                                   func() []notify.ChannelStats
	delivered, failures, gaveUp, cursorDesc *prometheus.Desc
}

func newNotifyCollector(stats func() []notify.ChannelStats) *notifyCollector {
	l := []string{"channel", "kind"}
	return &notifyCollector{stats: stats,
		delivered:  prometheus.NewDesc("syncmon_notifications_delivered_total", "Notifications delivered.", l, nil),
		failures:   prometheus.NewDesc("syncmon_notifications_failed_attempts_total", "Delivery attempts that failed (retried or given up).", l, nil),
		gaveUp:     prometheus.NewDesc("syncmon_notifications_given_up_total", "Notifications given up on after max_age.", l, nil),
		cursorDesc: prometheus.NewDesc("syncmon_notifications_cursor_seq", "The last event seq each channel handled.", l, nil),
	}
}

func (c *notifyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.delivered
	ch <- c.failures
	ch <- c.gaveUp
	ch <- c.cursorDesc
}

func (c *notifyCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.stats() {
		ch <- prometheus.MustNewConstMetric(c.delivered, prometheus.CounterValue, float64(st.Delivered), st.Name, st.Kind)
		ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(st.Failures), st.Name, st.Kind)
		ch <- prometheus.MustNewConstMetric(c.gaveUp, prometheus.CounterValue, float64(st.GaveUp), st.Name, st.Kind)
		ch <- prometheus.MustNewConstMetric(c.cursorDesc, prometheus.GaugeValue, float64(st.Cursor), st.Name, st.Kind)
	}
}
