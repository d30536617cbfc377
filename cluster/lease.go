package cluster

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Lease is this node's part in the writer election: one KV key, "writer",
// in a bucket whose TTL ends a lease nobody renews. A node campaigns with
// kv.Create (only one can succeed while the key exists), the holder renews
// by revision with kv.Update every TTL/3, and counts itself the writer only
// until TTL*3/4 after the start of its last successful renewal: it steps
// down before the key can expire and anyone else can win it. The holder
// also hands the leadership of the bucket's and the log's Raft groups to
// other nodes, so that its crash costs the TTL and no Raft election.
type Lease struct {
	kv   jetstream.KeyValue
	shed func(context.Context) // Node.shedLeaders
	name string
	ttl  time.Duration
	log  *slog.Logger

	changes chan bool
	stop    context.CancelFunc
	done    chan struct{}

	mu         sync.Mutex
	holding    bool
	rev        uint64    // the key's revision as last written by us
	term       uint64    // the revision at which this node won the lease
	validUntil time.Time // holding counts until then
	writer     string    // the holder as last seen ("" unknown)
}

// NewLease starts campaigning for the writer lease; Close stops it (and
// releases the lease if held). It needs an open node.
func (n *Node) NewLease() (*Lease, error) {
	n.mu.Lock()
	kv := n.kv
	n.mu.Unlock()
	if kv == nil {
		return nil, ErrNotOpen
	}
	ctx, stop := context.WithCancel(context.Background())
	l := &Lease{kv: kv, shed: n.shedLeaders, name: n.cfg.Node, ttl: n.cfg.LeaseTTL, log: n.log,
		changes: make(chan bool, 1), stop: stop, done: make(chan struct{})}
	go l.run(ctx)
	return l, nil
}

// IsWriter tells whether this node holds the lease now.
func (l *Lease) IsWriter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.holding && time.Now().Before(l.validUntil)
}

// Writer is the lease holder's name as this node last saw it ("" unknown).
func (l *Lease) Writer() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writer
}

// Term is the fencing token of this node's tenure: the key's revision when
// it won the lease, greater than every earlier tenure's. 0 when not writer.
func (l *Lease) Term() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.holding {
		return 0
	}
	return l.term
}

// Changes receives true when this node becomes the writer and false when
// it stops being it. Only the latest change waits in the channel.
func (l *Lease) Changes() <-chan bool { return l.changes }

// Close stops campaigning and, if this node holds the lease, deletes the
// key (by revision) so another node wins at once instead of after the TTL.
func (l *Lease) Close() {
	l.stop()
	<-l.done
}

func (l *Lease) run(ctx context.Context) {
	defer close(l.done)
	tick := time.NewTimer(0)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			l.release()
			return
		case <-tick.C:
		}
		if l.step(ctx) {
			tick.Reset(l.ttl / 3)
		} else {
			tick.Reset(l.campaignEvery())
		}
	}
}

// campaignEvery is how often a node that does not hold the lease tries to
// win it (often: after a crash the lease frees up at an unknown time), and
// how soon a failed renewal is tried again.
func (l *Lease) campaignEvery() time.Duration {
	return min(l.ttl/3, 250*time.Millisecond)
}

// step campaigns or renews once. It tells whether it won or renewed the
// lease: then the next step is due in TTL/3, else soon.
func (l *Lease) step(ctx context.Context) bool {
	l.mu.Lock()
	holding, rev, validUntil := l.holding, l.rev, l.validUntil
	l.mu.Unlock()
	start := time.Now()
	if holding && !start.Before(validUntil) {
		l.lose("renewal failed for too long")
		holding = false
	}
	budget := min(l.ttl/3, time.Second)
	if holding {
		budget = min(l.ttl/3, time.Until(validUntil))
	}
	actx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	if holding {
		newRev, err := l.kv.Update(actx, LeaseKey, []byte(l.name), rev)
		switch {
		case err == nil:
			l.mu.Lock()
			l.rev, l.validUntil = newRev, start.Add(l.ttl*3/4)
			l.mu.Unlock()
			l.shed(actx)
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyNotFound):
			l.lose("lease taken: " + err.Error())
		default:
			l.log.Warn("cluster: lease renewal failed", "err", err)
			return false
		}
		return err == nil
	}
	newRev, err := l.kv.Create(actx, LeaseKey, []byte(l.name))
	if err == nil {
		l.mu.Lock()
		l.holding, l.rev, l.term, l.validUntil, l.writer = true, newRev, newRev, start.Add(l.ttl*3/4), l.name
		l.mu.Unlock()
		l.log.Info("cluster: this node is the writer", "term", newRev)
		l.notify(true)
		l.shed(actx)
		return true
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		l.log.Debug("cluster: lease campaign failed", "err", err)
		return false
	}
	if e, err := l.kv.Get(actx, LeaseKey); err == nil {
		l.mu.Lock()
		l.writer = string(e.Value())
		l.mu.Unlock()
	}
	return false
}

func (l *Lease) lose(why string) {
	l.mu.Lock()
	was := l.holding
	l.holding, l.term = false, 0
	if l.writer == l.name {
		l.writer = ""
	}
	l.mu.Unlock()
	if was {
		l.log.Warn("cluster: this node is no longer the writer", "why", why)
		l.notify(false)
	}
}

func (l *Lease) notify(writer bool) {
	select {
	case <-l.changes: // replace an unread change
	default:
	}
	l.changes <- writer
}

func (l *Lease) release() {
	l.mu.Lock()
	holding, rev := l.holding && time.Now().Before(l.validUntil), l.rev
	l.mu.Unlock()
	if !holding {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
	defer cancel()
	if err := l.kv.Delete(ctx, LeaseKey, jetstream.LastRevision(rev)); err != nil {
		l.log.Warn("cluster: lease not released; it ends with its TTL", "err", err)
	}
	l.lose("released")
}
