package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/syncmon/syncmon/cluster"
)

// writers returns the indexes of the nodes whose lease says they write.
func writers(leases []*cluster.Lease) []int {
	var w []int
	for i, l := range leases {
		if l != nil && l.IsWriter() {
			w = append(w, i)
		}
	}
	return w
}

// oneWriter waits until exactly one lease holds, failing if two ever do.
func oneWriter(t *testing.T, leases []*cluster.Lease, timeout time.Duration) (int, time.Duration) {
	t.Helper()
	var holder int
	took := waitFor(t, timeout, "one writer", func() bool {
		w := writers(leases)
		if len(w) > 1 {
			t.Fatalf("two writers at once: %v", w)
		}
		if len(w) == 1 {
			holder = w[0]
		}
		return len(w) == 1
	})
	return holder, took
}

func newLeases(t *testing.T, nodes []*cluster.Node) []*cluster.Lease {
	t.Helper()
	leases := make([]*cluster.Lease, len(nodes))
	for i, n := range nodes {
		l, err := n.NewLease()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(l.Close)
		leases[i] = l
	}
	return leases
}

// failover stops the writer's node (releasing its lease when clean), waits
// for another writer and checks that its appends continue the log.
func failover(t *testing.T, clean bool) {
	nodes := startCluster(t, configs(t, 3))
	leases := newLeases(t, nodes)
	w, took := oneWriter(t, leases, 15*time.Second)
	t.Logf("first writer %s after %s", nodes[w].Name(), took.Round(time.Millisecond))
	select {
	case became := <-leases[w].Changes():
		if !became {
			t.Fatal("the writer's first change says it is not the writer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the writer was not told it became the writer")
	}
	term := leases[w].Term()
	for i, l := range leases {
		if got := l.Writer(); i != w && got != nodes[w].Name() && got != "" {
			t.Errorf("%s sees writer %q, want %q", nodes[i].Name(), got, nodes[w].Name())
		}
	}
	last := appendN(t, nodes[w], "before", 0, 5)
	// The writer leads neither the log's Raft group nor the lease's, so
	// that its crash costs no election of theirs.
	took = waitFor(t, 10*time.Second, "the log led by another node", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		info, err := nodes[w].Info(ctx)
		return err == nil && info.Leader != "" && info.Leader != nodes[w].Name()
	})
	t.Logf("the writer handed the log's leadership over within %s", took.Round(time.Millisecond))

	stopped := time.Now()
	if clean {
		leases[w].Close()
		nodes[w].Close()
	} else {
		nodes[w].Close() // as if the process died: the lease is not released
		leases[w].Close()
	}
	leases[w] = nil
	next, took := oneWriter(t, leases, 10*time.Second)
	t.Logf("clean=%v: %s took over the lease %s after %s stopped", clean, nodes[next].Name(), took.Round(time.Millisecond), nodes[w].Name())
	if got := leases[next].Term(); got <= term {
		t.Errorf("new term %d, want more than %d", got, term)
	}

	var from uint64
	waitFor(t, 15*time.Second, "the log's end from the new writer", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var err error
		from, err = nodes[next].LastSeq(ctx)
		return err == nil
	})
	if from != last {
		t.Fatalf("the new writer sees the log end at %d, want %d", from, last)
	}
	appendN(t, nodes[next], "after", from, 5)
	t.Logf("clean=%v: first append by the new writer %s after the stop", clean, time.Since(stopped).Round(time.Millisecond))
	for i, n := range nodes {
		if i == w {
			continue
		}
		for j, e := range readN(t, n, 1, 10) {
			if e.Seq != uint64(j+1) {
				t.Fatalf("%s: entry %d has seq %d", n.Name(), j, e.Seq)
			}
		}
	}
}

func TestLeaseFailoverCleanStop(t *testing.T) { failover(t, true) }

func TestLeaseFailoverCrash(t *testing.T) { failover(t, false) }

func TestRestartCatchesUp(t *testing.T) {
	cfgs := configs(t, 3)
	nodes := startCluster(t, cfgs)
	last := appendN(t, nodes[0], "first", 0, 10)
	nodes[2].Close()
	last = appendN(t, nodes[0], "missed", last, 200)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	began := time.Now()
	again := startNode(t, ctx, cfgs[2])
	openAll(t, ctx, []*cluster.Node{again})
	got := readN(t, again, 1, int(last))
	if got[len(got)-1].Seq != last || string(got[last-1].Data) != "event missed-199" {
		t.Fatalf("restarted node read up to seq %d %q", got[len(got)-1].Seq, got[last-1].Data)
	}
	waitFor(t, 30*time.Second, "the restarted replica current", func() bool {
		info, err := nodes[0].Info(ctx)
		if err != nil {
			return false
		}
		for _, p := range info.Peers {
			if p.Name == cfgs[2].Node {
				return p.Current && p.Lag == 0 && !p.Offline
			}
		}
		return false
	})
	t.Logf("restarted node read %d entries, its replica current %s after restart", last, time.Since(began).Round(time.Millisecond))
	if again.Epoch() != nodes[0].Epoch() {
		t.Errorf("epoch after restart %q, want %q", again.Epoch(), nodes[0].Epoch())
	}
}

// TestMinorityStepsDown leaves the writer alone: it stops being the writer
// within the TTL, cannot append, and its quorum check fails.
func TestMinorityStepsDown(t *testing.T) {
	nodes := startCluster(t, configs(t, 3))
	leases := newLeases(t, nodes)
	w, _ := oneWriter(t, leases, 15*time.Second)
	<-leases[w].Changes() // true
	cut := time.Now()
	for i, n := range nodes {
		if i != w {
			n.Close()
		}
	}
	select {
	case became := <-leases[w].Changes():
		if became {
			t.Fatal("told it became the writer while alone")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lone writer was not told it lost the lease")
	}
	t.Logf("the lone writer stepped down %s after its peers stopped", time.Since(cut).Round(time.Millisecond))
	if leases[w].IsWriter() || leases[w].Term() != 0 {
		t.Fatalf("alone: IsWriter %v term %d", leases[w].IsWriter(), leases[w].Term())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_, err := nodes[w].Append(ctx, "alone", []byte("x"), 0)
	cancel()
	if !errors.Is(err, cluster.ErrNoQuorum) {
		t.Fatalf("append alone: %v, want ErrNoQuorum", err)
	}
	took := waitFor(t, 30*time.Second, "quorum check failing", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return errors.Is(nodes[w].CheckQuorum(ctx), cluster.ErrNoQuorum)
	})
	t.Logf("quorum check failed %s after the append did", took.Round(time.Millisecond))
}
