package main

import (
	"context"
	"time"

	"github.com/syncmon/syncmon/cluster"
	"github.com/syncmon/syncmon/notify"
)

// Notifications in a cluster: only the writer sends. Every node's notifier
// works through its own read model of the log; the writer reports how far
// it has handled each channel in the replicated bucket SYNCMON_NOTIFY
// (cluster.Cursors), and the other nodes follow it there without sending
// (notify.Gate). A new writer reads the bucket afresh before it sends, so
// it goes on after the last event its predecessor reported: nothing is
// skipped, and only an event delivered in the instant between the POST
// and its report is sent again (the same idempotency key).

// notifyGate is the notifier's view of this node's part (notify.Gate).
type notifyGate struct{ r *clusterRun }

var _ notify.Gate = notifyGate{}

// Gate is what the notifier asks before it sends.
func (r *clusterRun) Gate() notify.Gate { return notifyGate{r} }

// Sending: this node is the writer and has taken over.
func (g notifyGate) Sending() bool { return g.r.sending.Load() }

// Handled is how far the writer has handled channel, as last heard.
func (g notifyGate) Handled(channel string) int64 {
	if c := g.r.notifyCursors(); c != nil {
		return int64(c.Get(channel))
	}
	return 0
}

// Done reports, on the writer, that channel's log is handled up to seq.
func (g notifyGate) Done(channel string, seq int64) {
	c := g.r.notifyCursors()
	if c == nil || seq <= 0 || !g.r.sending.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Put(ctx, channel, uint64(seq)); err != nil {
		// The next report carries it; a successor may send this event again.
		g.r.log.Warn("cluster: report a notification channel's progress", "channel", channel, "seq", seq, "err", err)
	}
}

func (r *clusterRun) notifyCursors() *cluster.Cursors {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cursors
}

// watchCursors keeps this node's view of the writer's notification
// progress, waking the notifier when it moves, until ctx ends.
func (r *clusterRun) watchCursors(ctx context.Context, c *cluster.Cursors) {
	wake := func() {
		if r.wake != nil {
			r.wake()
		}
	}
	for ctx.Err() == nil {
		if err := c.Watch(ctx, wake); err != nil && ctx.Err() == nil {
			r.log.Warn("cluster: watch notification cursors; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}
