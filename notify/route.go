package notify

import (
	"math/rand/v2"
	"time"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// route decides whether an alert event is news for a channel, given what the
// channel knows of the alert. It returns whether to send, the severity the
// channel will have told once it sends, and whether to forget the alert.
//
// A channel speaks of an alert once it reaches min_severity outside a
// maintenance window (opened, or later: escalated, or its silence ended),
// again whenever its severity rises, and then of its resolution (and of
// acks when include_acks). An alert it never spoke of stays quiet to the
// end: its resolution is not news there.
func route(n config.Notification, typ string, a monitor.Alert, k store.NotifyAlert) (send bool, told string, forget bool) {
	rank, least := monitor.SeverityRank(a.Severity), monitor.SeverityRank(n.MinSeverity)
	told = k.Told
	switch typ {
	case monitor.AlertOpened:
		send = !a.Silenced && rank >= least
	case monitor.AlertUpdated:
		rose := k.Seen != "" && rank > monitor.SeverityRank(k.Seen)
		send = !a.Silenced && rank >= least &&
			(k.Told == "" || rose || rank > monitor.SeverityRank(k.Told))
	case monitor.AlertResolved:
		send, forget = k.Told != "", true
	case monitor.AlertAcked, monitor.AlertUnacked:
		send = n.IncludeAcks && k.Told != ""
	}
	if send && typ != monitor.AlertResolved {
		told = a.Severity
	}
	return send, told, forget
}

// maxRetryAfter bounds how long a Retry-After header can make a channel wait.
const maxRetryAfter = time.Hour

// backoff is the wait before attempt n+1 after n failures: lo doubled per
// failure up to hi, with "equal jitter" (half fixed, half random) so that
// channels failing together do not retry together; at least what a
// Retry-After asked for.
func backoff(lo, hi time.Duration, failures int, retryAfter time.Duration) time.Duration {
	d := lo
	for i := 1; i < failures && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	d = d/2 + rand.N(d/2+1)
	if retryAfter > d {
		d = min(retryAfter, maxRetryAfter)
	}
	return d
}
