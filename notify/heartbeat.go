package notify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Health tells a heartbeat channel whether SyncMon can do its job: false,
// with a short reason for the log, while its store fails writes or its
// checks have stalled. It must answer within a few seconds.
type Health interface {
	Healthy() (ok bool, reason string)
}

// beat is a heartbeat channel's loop: every interval, while Health says all
// is well, one GET to the URL (what healthchecks.io and Uptime Kuma push
// monitors take). A failed ping is not retried: the next is an interval
// away, and the receiver's grace period covers one miss.
func (c *channel) beat(ctx context.Context) {
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	wasHealthy := true
	for {
		ok, reason := true, ""
		if c.o.Health != nil {
			ok, reason = c.o.Health.Healthy()
		}
		if ctx.Err() != nil {
			return
		}
		switch {
		case !ok:
			if wasHealthy {
				c.log.Warn("heartbeat held back: SyncMon is in trouble; the outside monitor will notice", "host", c.host, "reason", reason)
			}
		case !wasHealthy:
			c.log.Info("heartbeat resumes: SyncMon is healthy again", "host", c.host)
		}
		wasHealthy = ok
		if ok && (c.o.Gate == nil || c.o.Gate.Sending()) { // a cluster's sender only
			if err := c.ping(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				c.failures.Add(1)
				c.log.Warn("heartbeat ping failed; the next one is due in an interval", "host", c.host, "err", err)
			} else {
				c.delivered.Add(1)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ping calls the heartbeat URL once within the channel's timeout.
func (c *channel) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.URL.Reveal(), nil)
	if err != nil { // the error would quote the URL
		return &sendError{msg: "ping " + c.host + ": invalid URL", permanent: true}
	}
	req.Header.Set("User-Agent", "SyncMon")
	resp, err := c.o.Client.Do(req)
	if err != nil {
		return &sendError{msg: "ping " + c.host + ": " + c.redact(transportError(err, c.cfg.Timeout))}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &sendError{msg: fmt.Sprintf("ping %s: HTTP %d", c.host, resp.StatusCode)}
	}
	return nil
}
