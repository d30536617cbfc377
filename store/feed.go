package store

import (
	"sync"
)

// maxPending bounds the live events a subscription holds while its backlog
// is being sent; a subscriber further behind is dropped and resumes by seq.
const maxPending = 1024

// feed is the live tail of the event log: it hands each committed event to
// every subscription, in seq order, without ever blocking the writer.
type feed struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
	// Dropped counts subscriptions dropped for not keeping up.
	dropped int64
}

func newFeed() *feed { return &feed{subs: make(map[*Subscription]struct{})} }

func (f *feed) subscribe() *Subscription {
	sub := &Subscription{feed: f, done: make(chan struct{})}
	f.mu.Lock()
	f.subs[sub] = struct{}{}
	f.mu.Unlock()
	return sub
}

// publish hands events (in seq order) to every subscription. Called by the
// writer after commit, under the writer lock.
func (f *feed) publish(events []Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for sub := range f.subs {
		for _, e := range events {
			if !sub.offer(e) {
				f.dropped++
				delete(f.subs, sub)
				break
			}
		}
	}
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
	f.mu.Unlock()
	for sub := range subs {
		sub.end()
	}
}

// Stats reports the number of live subscriptions and how many were dropped.
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

// offer is called by the feed with each committed event; false drops sub.
func (sub *Subscription) offer(e Event) bool {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		return false
	}
	if !sub.started {
		if e.Seq <= sub.after {
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
	if e.Seq <= sub.after {
		return true
	}
	sub.after = e.Seq
	return sub.deliver(e)
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
	}
}
