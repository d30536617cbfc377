package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
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
		if _, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	sub, backlog, err := s.Subscribe(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if len(backlog) != 3 || backlog[0].Seq != 3 || backlog[2].Seq != 5 {
		t.Fatalf("backlog seqs = %v, want 3..5", seqsOf(backlog))
	}
	// Events committed between Subscribe and Start are held, not lost.
	if _, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "y"); err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	sub.Start(c.deliver)
	if _, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "z"); err != nil {
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
	sub, _, err := s.Subscribe(context.Background(), 0)
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
				if _, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "w"}, string(rune('a'+w))); err != nil {
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
	s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "old")
	sub, backlog, err := s.Subscribe(context.Background(), -1)
	if err != nil || len(backlog) != 0 {
		t.Fatalf("backlog = %v, %v; want none", backlog, err)
	}
	defer sub.Close()
	c := newCollector()
	sub.Start(c.deliver)
	s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "new")
	if got := c.waitFor(t, 2); len(got) != 1 || got[0] != 2 {
		t.Fatalf("got %v, want [2]", got)
	}
}

func TestSubscribeOutsideRetainedLogIsTooOld(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "old.db"))
	s.CreateTestAlert(context.Background(), store.Actor{Name: "a"}, "x")
	if _, _, err := s.Subscribe(context.Background(), 50); !errors.Is(err, store.ErrTooOld) {
		t.Fatalf("since ahead of head: err = %v, want ErrTooOld", err)
	}
}

func TestSlowSubscriberIsDroppedWithoutSlowingTheWriter(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "slow.db"))
	ctx := context.Background()
	slow, _, _ := s.Subscribe(context.Background(), -1)
	stuck := make(chan store.Event, 2) // never read
	slow.Start(func(e store.Event) bool {
		select {
		case stuck <- e:
			return true
		default:
			return false
		}
	})
	fast, _, _ := s.Subscribe(context.Background(), -1)
	defer fast.Close()
	c := newCollector()
	fast.Start(c.deliver)
	for range 10 {
		if _, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "x"); err != nil {
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

// The ring (recent events, in memory) and the log (SQLite) must hand out
// the same bytes for the same event, and either must give a contiguous
// backlog.
func TestSubscribeRingAndLogAgree(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ring.db")
	s := mustOpen(t, path)
	ctx := context.Background()
	const n = 1100 // more than the ring's 1024
	for range n {
		if _, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	fromLog, logBacklog, err := s.Subscribe(context.Background(), 0) // older than the ring: read from SQLite
	if err != nil {
		t.Fatal(err)
	}
	defer fromLog.Close()
	fromRing, ringBacklog, err := s.Subscribe(context.Background(), n-100)
	if err != nil {
		t.Fatal(err)
	}
	defer fromRing.Close()
	if len(logBacklog) != n || len(ringBacklog) != 100 {
		t.Fatalf("backlogs of %d and %d events, want %d and 100", len(logBacklog), len(ringBacklog), n)
	}
	for i, e := range logBacklog {
		if e.Seq != int64(i+1) {
			t.Fatalf("log backlog[%d].seq = %d", i, e.Seq)
		}
	}
	for i, e := range ringBacklog {
		want := logBacklog[n-100+i]
		if e.Seq != want.Seq || string(e.JSON()) != string(want.JSON()) {
			t.Fatalf("seq %d: ring gives %s, log gives %s", want.Seq, e.JSON(), want.JSON())
		}
		if e.Alert == nil || e.Type != "alert.opened" {
			t.Fatalf("seq %d decoded without its alert: %+v", e.Seq, e)
		}
	}
	// What the log hands out is what a fresh encoding of the event says.
	var m map[string]any
	if err := json.Unmarshal(logBacklog[41].JSON(), &m); err != nil || m["seq"] != float64(42) {
		t.Fatalf("event 42 on the wire = %s (%v)", logBacklog[41].JSON(), err)
	}

	// After a reopen the ring is rebuilt from the log: same answer.
	s.Close()
	s2 := mustOpen(t, path)
	_, again, err := s2.Subscribe(context.Background(), n-100)
	if err != nil || len(again) != 100 || string(again[0].JSON()) != string(ringBacklog[0].JSON()) {
		t.Fatalf("after reopen: %d events, first %s (%v)", len(again), again[0].JSON(), err)
	}
}

// Subscribers that join while several writers commit each see a contiguous
// run from their since to the end: the backlog cut and the registration
// cannot let an event slip between them or appear twice.
func TestSubscribeWhileWritingNoGapNoDuplicate(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "join.db"))
	ctx := context.Background()
	const writers, each = 4, 150
	const total = writers * each
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "w"}, "x"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	type joined struct {
		since int64 // -1: joined at the head, start unknown
		c     *collector
		sub   *store.Subscription
	}
	var subs []joined
	for i := 0; len(subs) < 40; i++ {
		since := max(s.Head()-int64(i%7), 0)
		if i%5 == 4 {
			since = -1
		}
		sub, backlog, err := s.Subscribe(context.Background(), since)
		if err != nil {
			t.Fatal(err)
		}
		c := newCollector()
		for _, e := range backlog {
			c.deliver(e)
		}
		sub.Start(c.deliver)
		subs = append(subs, joined{since: since, c: c, sub: sub})
		if s.Head() >= total {
			break
		}
		if i%4 == 0 { // let the writers move on between some joins
			if _, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "joiner"}, "x"); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	end := s.Head()
	for _, j := range subs {
		got := j.c.waitFor(t, end)
		j.sub.Close()
		if j.since >= 0 && j.since < end && (len(got) == 0 || got[0] != j.since+1) {
			t.Fatalf("subscriber from %d starts at %v", j.since, got[:min(len(got), 1)])
		}
		for i := 1; i < len(got); i++ {
			if got[i] != got[i-1]+1 {
				t.Fatalf("subscriber from %d: %d after %d", j.since, got[i], got[i-1])
			}
		}
	}
}

// The writer hands committed events to the publisher and never calls a
// subscriber itself: a subscriber stuck inside its deliver function (a
// transport breaking the no-blocking rule) holds up no write in progress;
// the commit after it waits in the bounded hand-off queue.
func TestWriterNeverWaitsForASubscriber(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "handoff.db"))
	ctx := context.Background()
	sub, _, err := s.Subscribe(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	sub.Start(func(store.Event) bool {
		once.Do(func() { close(entered) })
		<-release
		return true
	})
	defer close(release)
	wrote := make(chan error, 1)
	go func() {
		for range 2 { // one stuck in deliver, one in the queue
			if _, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "x"); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the subscriber was never handed an event")
	}
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("writes wait for a subscriber stuck in deliver")
	}
}

// Resume is the one "too old: reset" rule: a since outside the log
// subscribes at the head and says reset.
func TestResumeResets(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "resume.db"))
	ctx := context.Background()
	s.CreateTestAlert(ctx, store.Actor{Name: "a"}, "x")
	sub, backlog, reset, err := store.Resume(ctx, s, 50)
	if err != nil || !reset || len(backlog) != 0 || sub.Position() != 1 {
		t.Fatalf("Resume(50) = backlog %v, reset %v, position %d, %v; want a reset at head 1", seqsOf(backlog), reset, sub.Position(), err)
	}
	sub2, backlog, reset, err := store.Resume(ctx, s, 0)
	if err != nil || reset || len(backlog) != 1 {
		t.Fatalf("Resume(0) = backlog %v, reset %v, %v; want seq 1, no reset", seqsOf(backlog), reset, err)
	}
	sub.Close()
	sub2.Close()
}

// The first subscription loads the ring while writes are in flight: the
// events it reads and those still on their way to the publisher join up,
// with no gap and no duplicate.
func TestFirstSubscribeDuringWritesNoGap(t *testing.T) {
	for round := range 5 {
		s := mustOpen(t, filepath.Join(t.TempDir(), fmt.Sprintf("first%d.db", round)))
		ctx := context.Background()
		const n = 200
		done := make(chan error, 1)
		go func() {
			for range n {
				if _, _, err := s.CreateTestAlert(ctx, store.Actor{Name: "w"}, "x"); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		for s.Head() < int64(10*(round+1)) {
			runtime.Gosched()
		}
		sub, backlog, err := s.Subscribe(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		c := newCollector()
		for _, e := range backlog {
			c.deliver(e)
		}
		sub.Start(c.deliver)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		got := c.waitFor(t, n)
		for i, seq := range got {
			if seq != int64(i+1) {
				t.Fatalf("round %d: seq[%d] = %d: gap or duplicate in %v", round, i, seq, got)
			}
		}
		sub.Close()
	}
}
