package main

// SyncMon's own health has one judge, the self-monitor (monitor.SelfWatch):
// its looks open and clear the syncmon alerts, and its Healthy verdict (of
// the same look) is what the heartbeat channel, /readyz and the
// syncmon_healthy metric report. None of them judges on its own, so none
// can tell a different story from the alerts on the screens.

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/notify"
	"github.com/syncmon/syncmon/store"
)

// storeHold is how long after its newest failed write the store still
// counts as failing: on a nearly full disk writes fail and succeed by turns.
const storeHold = 15 * time.Second

// newSelfWatch is the self-monitor: the store's writes and file, the wall
// clock and, on a single node, the scheduler; the notification channels are
// added once the notifier exists (its heartbeat channel reads this
// monitor). On a single node its findings are recorded as syncmon alerts. A
// cluster node's scheduler changes with every tenure and its writes go to
// the log, so there serve sets Checks and Rec from the cluster run
// (serve_cluster_self.go: the tenure's scheduler; recorded through the log
// on the writer, told to the node's own screens elsewhere).
func newSelfWatch(st *store.Store, sched *monitor.Scheduler, single bool, clock func() time.Time, log *slog.Logger) *monitor.SelfWatch {
	w := &monitor.SelfWatch{
		Now: clock, Log: log,
		Store: func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return err
			}
			if err, at := st.WriteFailure(); err != nil && time.Since(at) < storeHold {
				return err
			}
			// A full disk before SQLite fails on it: a ping rewrites a page
			// it has, so it may pass on a full disk for as long as nothing
			// else needs a new one.
			if err := st.CheckSpace(); err != nil {
				return err
			}
			return st.CheckFile()
		},
	}
	if single {
		w.Rec, w.Checks = st, sched.Health
	}
	return w
}

// readyUnlessUnhealthy is ready (the scheduler runs, or the cluster log is
// open) that also fails while the self-monitor says SyncMon is unhealthy.
func readyUnlessUnhealthy(self *monitor.SelfWatch, ready func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := ready(ctx); err != nil {
			return err
		}
		if ok, why := self.Healthy(); !ok {
			return fmt.Errorf("unhealthy: %s", why)
		}
		return nil
	}
}

// healthGauge is syncmon_healthy, the self-monitor's verdict.
func healthGauge(self *monitor.SelfWatch) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "syncmon_healthy",
		Help: "1 while SyncMon's store takes writes and its checks keep finishing (the self-monitor's verdict, as /readyz and the heartbeat channel), else 0.",
	}, func() float64 {
		if ok, _ := self.Healthy(); ok {
			return 1
		}
		return 0
	})
}

// gaveUp lists the channels that gave up on an event and have delivered
// none since.
func gaveUp(stats func() []notify.ChannelStats) func() []string {
	type mark struct{ gaveUp, delivered uint64 }
	seen := map[string]mark{}
	bad := map[string]bool{}
	return func() []string {
		var out []string
		for _, c := range stats() {
			m := seen[c.Name]
			if c.GaveUp > m.gaveUp {
				bad[c.Name] = true
			} else if c.Delivered > m.delivered {
				bad[c.Name] = false
			}
			seen[c.Name] = mark{c.GaveUp, c.Delivered}
			if bad[c.Name] {
				out = append(out, c.Name)
			}
		}
		return out
	}
}
