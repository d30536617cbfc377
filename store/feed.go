package store

// This file is the hub: the live tail of the event log and the one way to
// subscribe to it (Subscribe, Resume). Every transport (WebSocket, SSE,
// long-poll) and the notifier go through it, so they cannot drift apart.
//
// Lock order and hand-off: the writer (Store.write) holds store.mu only to
// commit and to put the committed batch on the hand-off queue. It never
// calls into a subscriber, and so never into a transport: the publisher
// goroutine takes batches off the queue in the order they were put there
// (seq order, since store.mu serialises writers) and offers each event to
// every subscription under Subscription.mu (feed.mu only while it moves
// the ring and lists the subscriptions). Offers never block: a subscription that cannot take an event is dropped, and its
// client resumes by seq.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// maxPending bounds the live events a subscription holds while its backlog
// is being sent; a subscriber further behind is dropped and resumes by seq.
const maxPending = 1024

// ringSize is how many of the newest events the feed keeps in memory. A
// subscriber resuming from within them (every reconnect after a short drop,
// every long-poll) is served without touching SQLite, and atomically: the
// backlog is cut and the subscription registered under one lock.
const ringSize = 1024

// handoffSize bounds the committed batches waiting for the publisher. The
// publisher only makes non-blocking offers, so a pass is short; the writer
// waits (without calling any subscriber) only while one batch is on its
// way. A deep queue let writers race ahead of delivery: the head ran far
// past what screens had, and under reconnect churn (the chaos test)
// delivery fell behind for minutes.
const handoffSize = 1

// feed is the live tail of the event log: it hands each committed event to
// every subscription, in seq order, without ever blocking the writer.
type feed struct {
	handoff chan []Event  // committed batches, in seq order (see enqueue)
	stopped chan struct{} // closed when the publisher has drained handoff

	mu   sync.Mutex
	subs map[*Subscription]struct{}
	// dropped counts subscriptions dropped for not keeping up.
	dropped int64
	closed  bool
	// delivered, when set, is told each hand-off's latency since commit.
	delivered func(time.Duration)

	// loaded: ring and last were read from the log (on the first Subscribe).
	loaded bool
	// ring holds the newest published events, oldest first; it grows to
	// 2*ringSize and is then cut back to ringSize (amortised O(1) appends).
	ring []Event
	// last is the seq of the newest event in the ring or the log.
	last int64
}

func newFeed() *feed {
	f := &feed{subs: make(map[*Subscription]struct{}), handoff: make(chan []Event, handoffSize), stopped: make(chan struct{})}
	go f.run()
	return f
}

// enqueue is the writer's side of the hand-off, called under store.mu right
// after commit, so batches enter in seq order. It calls no subscriber.
func (f *feed) enqueue(events []Event) { f.handoff <- events }

// run is the publisher: it hands the batches to the subscriptions, in order,
// until the queue is closed (Store.Close) and drained. Batches that queued
// up while it was busy go out together: one pass over the subscriptions.
func (f *feed) run() {
	defer close(f.stopped)
	for events := range f.handoff {
	more:
		for len(events) < maxPending {
			select {
			case next, ok := <-f.handoff:
				if !ok {
					break more
				}
				events = append(events[:len(events):len(events)], next...)
			default:
				break more
			}
		}
		f.publish(events)
	}
}

func (f *feed) newSub() *Subscription {
	return &Subscription{feed: f, done: make(chan struct{})}
}

// registerLocked adds sub; the caller holds f.mu.
func (f *feed) registerLocked(sub *Subscription) { f.subs[sub] = struct{}{} }

// loadLocked fills the ring from the log, once: events read from it, and
// head, the log's head read before them. No subscription exists yet, so an
// event committed but not yet published can be taken from the log now and
// skipped when publish hands it over; one the read missed (committed after
// head) has a seq above last and is published as usual.
func (f *feed) loadLocked(events []Event, head int64) {
	f.ring = events
	f.last = head
	if n := len(events); n > 0 && events[n-1].Seq > f.last {
		f.last = events[n-1].Seq
	}
	f.loaded = true
}

// since returns a copy of the ring's events after seq, and whether the ring
// reaches back that far (otherwise the caller must read the log).
func (f *feed) sinceLocked(seq int64) ([]Event, bool) {
	if seq >= f.last {
		return nil, true
	}
	if len(f.ring) == 0 || seq < f.ring[0].Seq-1 {
		return nil, false
	}
	i := sort.Search(len(f.ring), func(i int) bool { return f.ring[i].Seq > seq })
	out := make([]Event, len(f.ring)-i)
	copy(out, f.ring[i:])
	return out, true
}

// publish hands events (in seq order) to every subscription. Only the
// publisher goroutine calls it, batch after batch, so publish order is seq
// order.
//
// The ring and last move and the subscriptions are listed under f.mu; the
// offers are made after it is released, so that subscribing and closing
// never wait for a pass over every subscription. A subscription that joins
// meanwhile has these events in its backlog already (it read last and the
// ring after they moved); only this goroutine offers, so each subscription
// still sees seq order.
func (f *feed) publish(events []Event) {
	f.mu.Lock()
	if f.loaded {
		// Skip what the ring already holds (read from the log by the first
		// Subscribe while these commits waited in the hand-off queue).
		// Unpersisted events (outage.go) have no seq: never in the ring.
		// The batch is the publisher's own (the writer is done with it).
		events = slices.DeleteFunc(events, func(e Event) bool { return !e.Unpersisted && e.Seq <= f.last })
		if len(events) == 0 {
			f.mu.Unlock()
			return
		}
		for _, e := range events {
			if !e.Unpersisted {
				f.ring = append(f.ring, e)
				f.last = e.Seq
			}
		}
		if len(f.ring) >= 2*ringSize {
			f.ring = append([]Event(nil), f.ring[len(f.ring)-ringSize:]...)
		}
	}
	subs := make([]*Subscription, 0, len(f.subs))
	for sub := range f.subs {
		subs = append(subs, sub)
	}
	f.mu.Unlock()

	var lagging []*Subscription
	for _, sub := range subs {
		for _, e := range events {
			if !sub.offer(e) {
				lagging = append(lagging, sub)
				break
			}
		}
	}
	if len(lagging) == 0 {
		return
	}
	f.mu.Lock()
	for _, sub := range lagging {
		// Still listed: dropped for not keeping up (one its owner closed
		// was unlisted by Close before it was marked closed).
		if _, ok := f.subs[sub]; ok {
			f.dropped++
			delete(f.subs, sub)
		}
	}
	f.mu.Unlock()
}

func (f *feed) remove(sub *Subscription) {
	f.mu.Lock()
	delete(f.subs, sub)
	f.mu.Unlock()
}

func (f *feed) closeAll() {
	f.mu.Lock()
	subs := f.subs
	f.subs = make(map[*Subscription]struct{})
	f.closed = true
	f.mu.Unlock()
	for sub := range subs {
		sub.end()
	}
}

// FeedStats reports the number of live subscriptions and how many were
// dropped for not keeping up.
func (s *Store) FeedStats() (subscribers int, dropped int64) {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	return len(s.feed.subs), s.feed.dropped
}

// Subscription is one subscriber's place in the live tail. Until Start it
// holds live events back (bounded); after Start it hands each event with a
// seq above the backlog to the deliver function.
type Subscription struct {
	feed *feed

	mu      sync.Mutex
	after   int64 // events with seq <= after are skipped (already in the backlog)
	started bool
	pending []Event
	deliver func(Event) bool
	closed  bool
	done    chan struct{}
	onEnd   func()
}

// Start begins live delivery: first the events held back since Subscribe,
// then every new one. deliver must not block; returning false (the client
// cannot keep up) drops the subscription, closing Done.
func (sub *Subscription) Start(deliver func(Event) bool) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		return
	}
	sub.deliver, sub.started = deliver, true
	pending := sub.pending
	sub.pending = nil
	for _, e := range pending {
		if !sub.handLocked(e) {
			sub.endLocked()
			go sub.feed.remove(sub)
			return
		}
	}
}

// skipThrough marks events up to seq as already sent (they are in the
// backlog read from the log after registering).
func (sub *Subscription) skipThrough(seq int64) {
	sub.mu.Lock()
	if seq > sub.after {
		sub.after = seq
	}
	sub.mu.Unlock()
}

// offer is called by the feed with each committed event; false drops sub.
func (sub *Subscription) offer(e Event) bool {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		return false
	}
	if !sub.started {
		if e.Seq <= sub.after && !e.Unpersisted {
			return true
		}
		if len(sub.pending) >= maxPending {
			sub.endLocked()
			return false
		}
		sub.pending = append(sub.pending, e)
		return true
	}
	if !sub.handLocked(e) {
		sub.endLocked()
		return false
	}
	return true
}

func (sub *Subscription) handLocked(e Event) bool {
	if e.Unpersisted {
		return sub.deliver(e)
	}
	if e.Seq <= sub.after {
		return true
	}
	sub.after = e.Seq
	if obs := sub.feed.delivered; obs != nil {
		obs(time.Since(e.At))
	}
	return sub.deliver(e)
}

// Position is the newest seq the subscription accounts for: where it
// joined, the end of its backlog, or the last event it handed over. After
// Close it no longer moves, so a client told Position misses nothing by
// resuming from it.
func (sub *Subscription) Position() int64 {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.after
}

// Done is closed when the subscription ends: closed by its owner, dropped
// for not keeping up, or the store closing.
func (sub *Subscription) Done() <-chan struct{} { return sub.done }

// Close ends the subscription. It is safe to call more than once.
func (sub *Subscription) Close() {
	sub.feed.remove(sub)
	sub.end()
}

func (sub *Subscription) end() {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	sub.endLocked()
}

func (sub *Subscription) endLocked() {
	if !sub.closed {
		sub.closed = true
		sub.pending = nil
		close(sub.done)
		if sub.onEnd != nil {
			go sub.onEnd()
		}
	}
}

// OnEnd arranges for fn to run (in its own goroutine) when the subscription
// ends for any reason, so a transport that watches no channel (a WebSocket)
// still drops its client when its subscription is dropped.
func (sub *Subscription) OnEnd(fn func()) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		go fn()
		return
	}
	sub.onEnd = fn
}

// ErrTooOld is returned by Subscribe when since is not in the retained log
// (older than what is kept, or ahead of the head): the client must reload
// its snapshot. Transports send {"type":"reset","head":HEAD}.
var ErrTooOld = errors.New("since is outside the retained event log")

// MaxBacklog is the most events Subscribe replays; a client further behind
// gets ErrTooOld and reloads the snapshot.
const MaxBacklog = 10000

// EventLog is the ordered, durable event log and its live tail: all that
// the transports and the notifier depend on. SQLite (Store) is the
// single-node implementation; a shared log (NATS JetStream) implements the
// same two methods, feeding its consumer's events to a feed of its own, so
// that nothing above the store changes.
type EventLog interface {
	// Subscribe registers for live events, then returns the retained events
	// after since (since < 0: none, start at the head); ErrTooOld when since
	// is outside the retained log. Call Start on the subscription after
	// sending the backlog, and Close when done with it. ctx bounds the
	// subscribing (the backlog read), not the subscription's life: tying
	// each subscription to a request's context cost a goroutine and a
	// feed lock per request and starved the publisher under churn.
	Subscribe(ctx context.Context, since int64) (*Subscription, []Event, error)
	// Head is the newest seq.
	Head() int64
}

// Resume is how every transport subscribes: from since, or, when since is
// outside the retained log, from the head with reset true, and the
// transport sends {"type":"reset","head":HEAD} before anything else, so the
// client reloads its snapshot. One place decides "too old: reset".
func Resume(ctx context.Context, log EventLog, since int64) (sub *Subscription, backlog []Event, reset bool, err error) {
	sub, backlog, err = log.Subscribe(ctx, since)
	if errors.Is(err, ErrTooOld) {
		reset = true
		sub, backlog, err = log.Subscribe(ctx, -1)
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("subscribe from %d: %w", since, err)
	}
	return sub, backlog, reset, nil
}

// Subscribe implements EventLog. A since within the newest ringSize events
// is served from memory: the backlog is cut and the subscription registered
// under the feed's lock, so nothing committed in between can slip past. An
// older since reads the log: registered first, then the backlog read, and
// live events the backlog already holds are skipped by seq in Start.
func (s *Store) Subscribe(ctx context.Context, since int64) (*Subscription, []Event, error) {
	f := s.feed
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, nil, errors.New("subscribe: store closed")
	}
	if !f.loaded {
		// The head first: everything up to it is committed, so the read
		// holds it. Commits after it may or may not be in the read; those
		// that are not still wait in the hand-off queue and are published.
		head := s.Head()
		recent, err := s.recentEvents(ctx, ringSize)
		if err != nil {
			f.mu.Unlock()
			return nil, nil, err
		}
		f.loadLocked(recent, head)
	}
	sub := f.newSub()
	if since < 0 {
		sub.after = f.last
		f.registerLocked(sub)
		f.mu.Unlock()
		return sub, nil, nil
	}
	// The head may be ahead of the feed (commits waiting in the hand-off
	// queue); a since up to it is valid, not "ahead of the log".
	if since > max(f.last, s.Head()) {
		f.mu.Unlock()
		return nil, nil, ErrTooOld
	}
	if backlog, ok := f.sinceLocked(since); ok {
		sub.after = since
		if n := len(backlog); n > 0 {
			sub.after = backlog[n-1].Seq
		}
		f.registerLocked(sub)
		f.mu.Unlock()
		return sub, backlog, nil
	}
	f.registerLocked(sub)
	f.mu.Unlock()

	// Older than the ring: registered, now read the log.
	head := s.Head()
	oldest, err := s.oldestSeq(ctx)
	if err != nil {
		sub.Close()
		return nil, nil, err
	}
	if (oldest > 0 && since+1 < oldest) || (oldest == 0 && since < head) || head-since > MaxBacklog {
		sub.Close()
		return nil, nil, ErrTooOld
	}
	backlog, err := s.EventsAfter(ctx, since, MaxBacklog)
	if err != nil {
		sub.Close()
		return nil, nil, err
	}
	last := since
	if n := len(backlog); n > 0 {
		last = backlog[n-1].Seq
	}
	sub.skipThrough(last)
	return sub, backlog, nil
}
