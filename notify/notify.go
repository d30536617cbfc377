// Package notify delivers alerts to the outside: a generic JSON webhook,
// Slack and Microsoft Teams incoming webhooks, and email (SMTP); and pings
// a heartbeat URL while SyncMon is healthy (heartbeat.go).
//
// The event log is the outbox. An alert event is recorded in the
// transaction that changes the alert, so it cannot be lost; each channel
// keeps a cursor in the store (the last seq it handled) and works through
// the log after it in seq order. A delivery that fails is retried with
// exponential backoff and jitter, its attempts recorded in the store so that
// a restart carries on; after the channel's max_age the event is given up
// with a visible failure (logged at error level, listed by
// store.NotifyFailures). Delivery is at least once: every payload carries an
// idempotency key, syncmon-<seq>-<channel>, also sent as Idempotency-Key.
//
// Each channel runs on its own goroutine, so one stuck on a failing endpoint
// never holds up another.
package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/store"
)

// Store is what the notifier needs of the store: the event log and the
// channels' progress through it. *store.Store implements it.
type Store interface {
	store.EventLog
	EventsAfter(ctx context.Context, since int64, limit int) ([]store.Event, error)
	NotifyCursor(ctx context.Context, channel string) (int64, error)
	NotifyKnown(ctx context.Context, channel string, alertID int64) (store.NotifyAlert, error)
	NotifyPending(ctx context.Context, channel string, seq int64) (store.NotifyDelivery, error)
	NotifyRetry(ctx context.Context, d store.NotifyDelivery) error
	NotifyDone(ctx context.Context, channel string, seq int64, change *store.NotifyChange) error
	NotifyGiveUp(ctx context.Context, d store.NotifyDelivery, change *store.NotifyChange) error
}

var _ Store = (*store.Store)(nil)

// Options tune a Notifier; the zero value is what production uses.
type Options struct {
	Log *slog.Logger
	// PublicURL is SyncMon's address as people reach it; messages link to
	// PublicURL/alerts/{id}. Empty: no link.
	PublicURL string
	// Client sends the requests; nil: one that follows no redirects (a
	// webhook that redirects is misconfigured, and the token stays put).
	Client *http.Client
	// MinBackoff and MaxBackoff bound the wait between attempts (2s, 5m).
	MinBackoff, MaxBackoff time.Duration
	// Poll is how often a channel rereads the log when no event woke it (30s).
	Poll time.Duration
	// Now is the clock that ages events against max_age (time.Now). It must
	// advance with real time: waits between attempts are real timers.
	Now func() time.Time
	// Health is consulted before every heartbeat ping; nil: always healthy.
	Health Health
	// Gate, when set (cluster mode), makes only one node send: see Gate.
	Gate Gate
	// TLSConfig verifies SMTP servers (email channels); nil: the system's
	// trusted CAs. Its ServerName, when empty, is the channel's host.
	TLSConfig *tls.Config
}

// Gate makes one node of a cluster send, and the others follow (cluster
// mode; nil on a single node: it sends). Every node's channels work through
// the same log. An event at or below Handled (what the sending node has
// handled) is passed over without sending: what the channel knows of its
// alert is updated as if it had sent it, so a node that later sends tells
// an alert's resolution if the alert was told. An event after Handled is
// sent only while Sending; otherwise the channel waits there. The sending
// node reports each event it has handled with Done. So a new sender goes
// on after the last event its predecessor reported: nothing is skipped,
// and only what was delivered in the instant before its report can be
// sent again (at least once, same idempotency key).
type Gate interface {
	Sending() bool
	Handled(channel string) int64
	Done(channel string, seq int64)
}

// errNotSending stops a channel at an event it may not send yet.
var errNotSending = errors.New("notifications: another node sends")

// Defaults for Options.
const (
	DefaultMinBackoff = 2 * time.Second
	DefaultMaxBackoff = 5 * time.Minute
	DefaultPoll       = 30 * time.Second
)

// batchSize is how many events a channel reads from the log at a time.
const batchSize = 200

// Notifier runs one delivery loop per configured channel.
type Notifier struct {
	st    Store
	log   *slog.Logger
	chans []*channel

	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New prepares a notifier for the channels; Start runs it.
func New(st Store, channels []config.Notification, o Options) *Notifier {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(DefaultMaxBackoff, o.MinBackoff)
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	n := &Notifier{st: st, log: o.Log}
	for _, c := range channels {
		n.chans = append(n.chans, newChannel(c, st, o))
	}
	return n
}

// Start begins delivering and returns at once; Stop ends it. A channel
// seen for the first time starts at the head of the log: every event
// recorded after Start returns reaches it, older history does not.
func (n *Notifier) Start(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cancel != nil || len(n.chans) == 0 {
		return nil
	}
	for _, c := range n.chans {
		if c.cfg.Kind == config.NotifyHeartbeat {
			continue // no outbox: it follows SyncMon's health, not the log
		}
		cur, err := n.st.NotifyCursor(ctx, c.cfg.Name)
		if err != nil {
			return fmt.Errorf("start notifications: %w", err)
		}
		c.cursor.Store(cur)
	}
	ctx, n.cancel = context.WithCancel(ctx)
	// Wake the channels on every committed event; subscribed before their
	// first read of the log, so nothing committed in between goes unnoticed
	// (and Poll rereads the log anyway, should the subscription end).
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.wake(ctx)
	}()
	for _, c := range n.chans {
		if c.cfg.Kind == config.NotifyHeartbeat {
			n.log.Info("heartbeat on", "channel", c.cfg.Name, "host", c.host, "interval", c.cfg.Interval.String())
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				c.beat(ctx)
			}()
			continue
		}
		n.log.Info("notifications on", "channel", c.cfg.Name, "kind", c.cfg.Kind, "host", c.host,
			"min_severity", c.cfg.MinSeverity, "max_age", c.cfg.MaxAge.String())
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			c.run(ctx)
		}()
	}
	return nil
}

// Stop cancels every delivery (an interrupted one is retried after the next
// start: at least once) and waits for the loops to end. Call it before the
// store closes.
func (n *Notifier) Stop() {
	n.mu.Lock()
	cancel := n.cancel
	n.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	n.wg.Wait()
}

// Wake makes every channel look at the log now (cluster mode: this node
// became the sender, or the sender moved on).
func (n *Notifier) Wake() {
	for _, c := range n.chans {
		select {
		case c.wake <- struct{}{}:
		default: // already due to look
		}
	}
}

func (n *Notifier) wake(ctx context.Context) {
	poke := func(store.Event) bool {
		for _, c := range n.chans {
			select {
			case c.wake <- struct{}{}:
			default: // already due to look
			}
		}
		return true
	}
	for {
		sub, _, err := n.st.Subscribe(ctx, -1)
		if err != nil {
			n.log.Debug("notifications: no live wake-ups, polling the log", "err", err)
			return
		}
		sub.Start(poke)
		select {
		case <-ctx.Done():
			sub.Close()
			return
		case <-sub.Done():
			poke(store.Event{}) // look now: something may have slipped by
		}
	}
}

// ChannelStats is one channel's counters since start, for metrics and the
// admin page.
type ChannelStats struct {
	Name      string
	Kind      string
	Delivered uint64 // events delivered
	Failures  uint64 // failed attempts (each retried or given up)
	GaveUp    uint64 // events given up on
	Cursor    int64  // last seq handled
}

// Stats reports every channel's counters.
func (n *Notifier) Stats() []ChannelStats {
	out := make([]ChannelStats, 0, len(n.chans))
	for _, c := range n.chans {
		out = append(out, ChannelStats{Name: c.cfg.Name, Kind: c.cfg.Kind, Delivered: c.delivered.Load(),
			Failures: c.failures.Load(), GaveUp: c.gaveUp.Load(), Cursor: c.cursor.Load()})
	}
	return out
}

// channel is one configured destination and its delivery loop.
type channel struct {
	cfg  config.Notification
	st   Store
	o    Options
	log  *slog.Logger
	host string // what logs and errors name instead of the URL
	wake chan struct{}

	cursor                      atomic.Int64
	delivered, failures, gaveUp atomic.Uint64
}

func newChannel(c config.Notification, st Store, o Options) *channel {
	host := "invalid-url"
	if u, err := url.Parse(c.URL.Reveal()); err == nil && u.Host != "" {
		host = u.Host
	}
	if c.Kind == config.NotifyEmail {
		host = mailHost(c.Email)
	}
	return &channel{cfg: c, st: st, o: o, host: host, wake: make(chan struct{}, 1),
		log: o.Log.With("channel", c.Name, "kind", c.Kind)}
}

func (c *channel) run(ctx context.Context) {
	for {
		err := c.drain(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := c.o.Poll
		if err != nil {
			c.log.Warn("notifications: reading the event log failed; trying again", "err", err)
			wait = c.o.MinBackoff
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-c.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// drain handles every event after the cursor, in seq order.
func (c *channel) drain(ctx context.Context) error {
	for {
		events, err := c.st.EventsAfter(ctx, c.cursor.Load(), batchSize)
		if err != nil {
			return err
		}
		var skipped int64 // events of no concern: recorded lazily, once per batch
		for _, e := range events {
			if !c.concerns(e) {
				skipped = e.Seq
				c.cursor.Store(e.Seq)
				continue
			}
			if err := c.handle(ctx, e); errors.Is(err, errNotSending) {
				break // the sender has not got this far: wait for it (Wake)
			} else if err != nil {
				return err
			}
			skipped = 0
			c.cursor.Store(e.Seq)
		}
		if skipped > 0 {
			if err := c.st.NotifyDone(ctx, c.cfg.Name, skipped, nil); err != nil {
				return err
			}
		}
		if len(events) < batchSize || c.cursor.Load() < events[len(events)-1].Seq {
			return nil
		}
	}
}

// done moves the channel's cursor past e (NotifyDone) and, on the sending
// node of a cluster, reports it.
func (c *channel) done(ctx context.Context, seq int64, change *store.NotifyChange) error {
	if err := c.st.NotifyDone(ctx, c.cfg.Name, seq, change); err != nil {
		return err
	}
	if g := c.o.Gate; g != nil && g.Sending() {
		g.Done(c.cfg.Name, seq)
	}
	return nil
}

// passedOver: the sending node has handled e already (cluster mode).
func (c *channel) passedOver(e store.Event) bool {
	return c.o.Gate != nil && e.Seq <= c.o.Gate.Handled(c.cfg.Name)
}

// mayNotSend: this node is not the one that sends (cluster mode).
func (c *channel) mayNotSend() bool { return c.o.Gate != nil && !c.o.Gate.Sending() }

// concerns reports whether e is an alert event this channel's route takes:
// its target (test alerts count as no target) and whether tests are wanted.
func (c *channel) concerns(e store.Event) bool {
	if e.Alert == nil || !strings.HasPrefix(e.Type, "alert.") {
		return false
	}
	if e.Alert.Test {
		return c.cfg.IncludeTest
	}
	if len(c.cfg.Targets) == 0 {
		return true
	}
	for _, t := range c.cfg.Targets {
		if t == e.Alert.Target {
			return true
		}
	}
	return false
}

// handle decides whether e is news for the channel and, if so, delivers it,
// retrying until it succeeds, fails for good, or grows older than max_age.
// It returns only when the cursor has moved past e, or with an error.
func (c *channel) handle(ctx context.Context, e store.Event) error {
	a := *e.Alert
	known, err := c.st.NotifyKnown(ctx, c.cfg.Name, a.ID)
	if err != nil {
		return err
	}
	send, told, forget := route(c.cfg, e.Type, a, known)
	change := &store.NotifyChange{AlertID: a.ID, NotifyAlert: store.NotifyAlert{Seen: a.Severity, Told: known.Told}, Forget: forget}
	if !send {
		return c.done(ctx, e.Seq, change)
	}
	if c.passedOver(e) { // another node sent it (or gave it up)
		change.Told = told
		return c.st.NotifyDone(ctx, c.cfg.Name, e.Seq, change)
	}
	if c.mayNotSend() {
		return errNotSending
	}
	d, err := c.st.NotifyPending(ctx, c.cfg.Name, e.Seq)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d = store.NotifyDelivery{Channel: c.cfg.Name, Seq: e.Seq, EventType: e.Type, AlertID: a.ID}
	case err != nil:
		return err
	}
	log := c.log.With("seq", e.Seq, "alert_id", a.ID, "host", c.host)
	key := IdempotencyKey(e.Seq, c.cfg.Name)
	body, err := c.payload(e, key)
	if err != nil { // cannot happen with our own types; never loop on it
		d.LastError = err.Error()
		return c.giveUp(ctx, log, d, change)
	}
	deadline := e.At.Add(c.cfg.MaxAge)
	for {
		now := c.o.Now()
		if !now.Before(deadline) {
			if d.LastError == "" {
				d.LastError = fmt.Sprintf("older than max_age %s before it could be sent", c.cfg.MaxAge)
			} else {
				d.LastError = fmt.Sprintf("max_age %s passed; last error: %s", c.cfg.MaxAge, d.LastError)
			}
			return c.giveUp(ctx, log, d, change)
		}
		if wait := d.NextAttemptAt.Sub(now); d.Attempts > 0 && wait > 0 {
			if !sleep(ctx, min(wait, deadline.Sub(now))) {
				return ctx.Err()
			}
			continue
		}
		if c.mayNotSend() {
			return errNotSending // no longer the sender: its successor takes over
		}
		err := c.deliver(ctx, e, key, body)
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: this attempt does not count
		}
		if err == nil {
			c.delivered.Add(1)
			change.Told = told
			if err := c.done(ctx, e.Seq, change); err != nil {
				return err // delivered again after a restart: at least once
			}
			log.Info("notification sent", "type", e.Type, "attempts", d.Attempts+1)
			return nil
		}
		c.failures.Add(1)
		now = c.o.Now()
		if d.Attempts == 0 {
			d.FirstAttemptAt = now
		}
		d.Attempts++
		d.LastError = err.Error()
		var se *sendError
		if errors.As(err, &se) && se.permanent {
			return c.giveUp(ctx, log, d, change)
		}
		retryAfter := time.Duration(0)
		if se != nil {
			retryAfter = se.retryAfter
		}
		d.NextAttemptAt = now.Add(backoff(c.o.MinBackoff, c.o.MaxBackoff, d.Attempts, retryAfter))
		if err := c.st.NotifyRetry(ctx, d); err != nil {
			return err
		}
		log.Warn("notification failed; will retry", "attempts", d.Attempts, "next_attempt_at", d.NextAttemptAt, "err", d.LastError)
	}
}

func (c *channel) giveUp(ctx context.Context, log *slog.Logger, d store.NotifyDelivery, change *store.NotifyChange) error {
	c.gaveUp.Add(1)
	log.Error("notification given up", "type", d.EventType, "attempts", d.Attempts, "err", d.LastError)
	if err := c.st.NotifyGiveUp(ctx, d, change); err != nil {
		return err
	}
	if g := c.o.Gate; g != nil && g.Sending() {
		g.Done(c.cfg.Name, d.Seq)
	}
	return nil
}

// IdempotencyKey is the key a receiver deduplicates deliveries by: the same
// for every attempt of one event on one channel.
func IdempotencyKey(seq int64, channel string) string {
	return fmt.Sprintf("syncmon-%d-%s", seq, channel)
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
