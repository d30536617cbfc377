package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/syncmon/syncmon/store"
)

// collect starts sub with a deliver function that records every seq.
type collector struct {
	mu   sync.Mutex
	seqs []int64
	ch   chan struct{}
}

func newCollector() *collector { return &collector{ch: make(chan struct{}, 1)} }

func (c *collector) deliver(e store.Event) bool {
	c.mu.Lock()
	c.seqs = append(c.seqs, e.Seq)
	c.mu.Unlock()
	select {
	case c.ch <- struct{}{}:
	default:
	}
	return true
}

func (c *collector) waitFor(t *testing.T, seq int64) []int64 {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		got := append([]int64(nil), c.seqs...)
		c.mu.Unlock()
		if len(got) > 0 && got[len(got)-1] >= seq {
			return got
		}
		select {
		case <-c.ch:
		case <-deadline:
			t.Fatalf("timed out waiting for seq %d; have %v", seq, got)
		}
	}
}

func TestSubscribeBacklogThenLiveNoGapNoDuplicate(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "feed.db"))
	ctx := context.Background()
	for range 5 {
		if _, _, err := s.CreateTestAlert(ctx, "a", "x"); err != nil {
			t.Fatal(err)
		}
	}
	sub, backlog, err := s.Subscribe(2)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if len(backlog) != 3 || backlog[0].Seq != 3 || backlog[2].Seq != 5 {
		t.Fatalf("backlog seqs = %v, want 3..5", seqsOf(backlog))
	}
	// Events committed between Subscribe and Start are held, not lost.
	if _, _, err := s.CreateTestAlert(ctx, "a", "y"); err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	sub.Start(c.deliver)
	if _, _, err := s.CreateTestAlert(ctx, "a", "z"); err != nil {
		t.Fatal(err)
	}
	got := c.waitFor(t, 7)
	if len(got) != 2 || got[0] != 6 || got[1] != 7 {
		t.Fatalf("live seqs = %v, want [6 7]", got)
	}
}

func TestSubscribeConcurrentWritersInOrder(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "conc.db"))
	ctx := context.Background()
	sub, _, err := s.Subscribe(0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	c := newCollector()
	sub.Start(c.deliver)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				if _, _, err := s.CreateTestAlert(ctx, "w", string(rune('a'+w))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got := c.waitFor(t, 100)
	for i, seq := range got {
		if seq != int64(i+1) {
			t.Fatalf("seq[%d] = %d: gap, duplicate or reorder in %v", i, seq, got)
		}
	}
}

func TestSubscribeWithoutSinceStartsAtHead(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "head.db"))
	ctx := context.Background()
	s.CreateTestAlert(ctx, "a", "old")
	sub, backlog, err := s.Subscribe(-1)
	if err != nil || len(backlog) != 0 {
		t.Fatalf("backlog = %v, %v; want none", backlog, err)
	}
	defer sub.Close()
	c := newCollector()
	sub.Start(c.deliver)
	s.CreateTestAlert(ctx, "a", "new")
	if got := c.waitFor(t, 2); len(got) != 1 || got[0] != 2 {
		t.Fatalf("got %v, want [2]", got)
	}
}

func TestSubscribeOutsideRetainedLogIsTooOld(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "old.db"))
	s.CreateTestAlert(context.Background(), "a", "x")
	if _, _, err := s.Subscribe(50); !errors.Is(err, store.ErrTooOld) {
		t.Fatalf("since ahead of head: err = %v, want ErrTooOld", err)
	}
}

func TestSlowSubscriberIsDroppedWithoutSlowingTheWriter(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "slow.db"))
	ctx := context.Background()
	slow, _, _ := s.Subscribe(-1)
	stuck := make(chan store.Event, 2) // never read
	slow.Start(func(e store.Event) bool {
		select {
		case stuck <- e:
			return true
		default:
			return false
		}
	})
	fast, _, _ := s.Subscribe(-1)
	defer fast.Close()
	c := newCollector()
	fast.Start(c.deliver)
	for range 10 {
		if _, _, err := s.CreateTestAlert(ctx, "a", "x"); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-slow.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("slow subscriber was not dropped")
	}
	if got := c.waitFor(t, 10); len(got) != 10 {
		t.Fatalf("fast subscriber got %v, want 10 events", got)
	}
	if _, dropped := s.FeedStats(); dropped != 1 {
		t.Fatalf("dropped = %d, want 1", dropped)
	}
}

func seqsOf(evs []store.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}
