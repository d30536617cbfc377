package store

import (
	"context"
	"fmt"
	"sync"
)

// This file is the log's identity (epoch) and the resume that honours it.

// EpochLog is an EventLog that names itself: a seq means an event only
// within the log its epoch names.
type EpochLog interface {
	EventLog
	// Epoch names the log: the database's identity on one node, the
	// stream's in a cluster. It never changes while the log lives.
	Epoch() string
}

// epochCache holds the database's epoch, read once.
type epochCache struct {
	once  sync.Once
	mu    sync.Mutex
	value string
	err   error
}

func (c *epochCache) set(v string) {
	c.mu.Lock()
	c.value = v
	c.mu.Unlock()
}

// Epoch implements EpochLog: the random id written into the meta table when
// the database was created (or first upgraded to have one). It is "" only
// if the database cannot be read.
func (s *Store) Epoch() string {
	e, err := s.ReadEpoch(context.Background())
	if err != nil {
		return ""
	}
	return e
}

// ReadEpoch is Epoch with its error.
func (s *Store) ReadEpoch(ctx context.Context) (string, error) {
	c := &s.epoch
	c.once.Do(func() {
		var v string
		err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'epoch'`).Scan(&v)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.value = v
		if err != nil {
			c.err = fmt.Errorf("read epoch: %w", err)
		}
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.value, c.err
}

// ResumeEpoch is Resume for a client that also names the log its since
// belongs to: an epoch other than the log's own means the since is from
// another log, so the client is reset (it reloads its snapshot and goes on
// from the head). An empty epoch (an older client) is taken on trust.
func ResumeEpoch(ctx context.Context, log EpochLog, since int64, epoch string) (sub *Subscription, backlog []Event, reset bool, err error) {
	if epoch != "" && since >= 0 && epoch != log.Epoch() {
		sub, backlog, err = log.Subscribe(ctx, -1)
		if err != nil {
			return nil, nil, false, fmt.Errorf("subscribe after epoch change: %w", err)
		}
		return sub, backlog, true, nil
	}
	return Resume(ctx, log, since)
}

// FirstSeq is the oldest retained event's seq, 0 when the log is empty.
func (s *Store) FirstSeq(ctx context.Context) (int64, error) { return s.oldestSeq(ctx) }
