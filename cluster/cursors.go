package cluster

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// CursorBucket is the KV bucket holding how far the writer has handled
// each notification channel's log (one key per channel, hex of its name).
const CursorBucket = "SYNCMON_NOTIFY"

// Cursors is the notification channels' progress through the log, shared
// by the cluster: the writer puts how far it has handled each channel
// (Put), every node keeps the newest values (Watch), so that a node that
// becomes the writer goes on from there: nothing the old writer had not
// handled is skipped, and what it had is not sent again. Safe for
// concurrent use.
type Cursors struct {
	kv jetstream.KeyValue

	mu  sync.Mutex
	seq map[string]uint64 // by channel name
}

// Cursors opens the bucket (created by Open, like the lease's).
func (n *Node) Cursors() (*Cursors, error) {
	n.mu.Lock()
	kv := n.cursors
	n.mu.Unlock()
	if kv == nil {
		return nil, ErrNotOpen
	}
	return &Cursors{kv: kv, seq: map[string]uint64{}}, nil
}

func cursorKey(channel string) string { return "c" + hex.EncodeToString([]byte(channel)) }

func channelOf(key string) (string, bool) {
	if len(key) < 1 || key[0] != 'c' {
		return "", false
	}
	b, err := hex.DecodeString(key[1:])
	return string(b), err == nil
}

// Get returns how far the channel's log is handled, as last heard (0: not
// known).
func (c *Cursors) Get(channel string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq[channel]
}

// note keeps seq for channel if it is further; it reports whether it was.
func (c *Cursors) note(channel string, seq uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq <= c.seq[channel] {
		return false
	}
	c.seq[channel] = seq
	return true
}

// Put records that the channel's log is handled up to seq, unless that is
// known already.
func (c *Cursors) Put(ctx context.Context, channel string, seq uint64) error {
	if !c.note(channel, seq) {
		return nil
	}
	if _, err := c.kv.Put(ctx, cursorKey(channel), []byte(strconv.FormatUint(seq, 10))); err != nil {
		return fmt.Errorf("cluster: put the cursor of channel %s: %w", channel, err)
	}
	return nil
}

// Refresh reads every channel's cursor from the bucket now (a node about to
// become the writer: the watch may lag).
func (c *Cursors) Refresh(ctx context.Context) error {
	keys, err := c.kv.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cluster: list notification cursors: %w", err)
	}
	for _, k := range keys {
		e, err := c.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("cluster: read notification cursor: %w", err)
		}
		c.apply(e)
	}
	return nil
}

func (c *Cursors) apply(e jetstream.KeyValueEntry) bool {
	if e == nil || e.Operation() != jetstream.KeyValuePut {
		return false
	}
	ch, ok := channelOf(e.Key())
	seq, err := strconv.ParseUint(string(e.Value()), 10, 64)
	return ok && err == nil && c.note(ch, seq)
}

// Watch keeps the cursors up to date until ctx ends, calling changed after
// each one that moved. It returns an error if the watch cannot start.
func (c *Cursors) Watch(ctx context.Context, changed func()) error {
	w, err := c.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("cluster: watch notification cursors: %w", err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return nil
			}
			if c.apply(e) && changed != nil {
				changed()
			}
		}
	}
}
