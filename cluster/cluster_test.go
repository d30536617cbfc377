package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/syncmon/syncmon/cluster"
	"github.com/syncmon/syncmon/internal/testutil"
)

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

// testSecret is the cluster secret of the tests' nodes.
const testSecret = "test-cluster-secret-0123456789"

// configs is one Config per node of an n-node cluster on loopback.
func configs(t *testing.T, n int) []cluster.Config {
	t.Helper()
	ports := testutil.FreePorts(t, n)
	var peers []string
	for _, p := range ports {
		peers = append(peers, "127.0.0.1:"+strconv.Itoa(p))
	}
	cfgs := make([]cluster.Config, n)
	for i := range cfgs {
		cfgs[i] = cluster.Config{Node: fmt.Sprintf("n%d", i+1), Listen: peers[i], Peers: peers,
			DataDir: t.TempDir(), Replicas: n, Logger: testLogger(), Secret: testSecret}
	}
	return cfgs
}

// startNode starts and opens one node; the test closes it at its end.
func startNode(t *testing.T, ctx context.Context, cfg cluster.Config) *cluster.Node {
	t.Helper()
	n, err := cluster.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

// startCluster starts the nodes at once, then waits until every one has
// the log open.
func startCluster(t *testing.T, cfgs []cluster.Config) []*cluster.Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	began := time.Now()
	nodes := make([]*cluster.Node, len(cfgs))
	for i, c := range cfgs {
		nodes[i] = startNode(t, ctx, c)
	}
	openAll(t, ctx, nodes)
	t.Logf("%d nodes started and open in %s", len(nodes), time.Since(began).Round(time.Millisecond))
	return nodes
}

func openAll(t *testing.T, ctx context.Context, nodes []*cluster.Node) {
	t.Helper()
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() { errs[i] = n.Open(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	return testutil.Poll(t, timeout, 20*time.Millisecond, what, func() (bool, string) { return cond(), "" })
}

// readN reads n entries from a node, from seq from.
func readN(t *testing.T, node *cluster.Node, from uint64, n int) []cluster.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := node.Read(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []cluster.Entry
	for len(out) < n {
		e, err := r.Next(ctx)
		if err != nil {
			t.Fatalf("%s: read %d of %d from %d: %v", node.Name(), len(out), n, from, err)
		}
		out = append(out, e)
	}
	return out
}

func appendN(t *testing.T, node *cluster.Node, prefix string, last uint64, n int) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range n {
		id := fmt.Sprintf("%s-%d", prefix, i)
		seq, err := node.Append(ctx, id, []byte("event "+id), last)
		if err != nil {
			t.Fatal(err)
		}
		if seq != last+1 {
			t.Fatalf("append %s: seq %d, want %d", id, seq, last+1)
		}
		last = seq
	}
	return last
}

func TestThreeNodesOneLog(t *testing.T) {
	nodes := startCluster(t, configs(t, 3))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	last := appendN(t, nodes[0], "a", 0, 5)
	last = appendN(t, nodes[1], "b", last, 5) // any node may append; the lease says which one should
	for _, n := range nodes {
		got := readN(t, n, 1, 10)
		for i, e := range got {
			want := fmt.Sprintf("event a-%d", i)
			if i >= 5 {
				want = fmt.Sprintf("event b-%d", i-5)
			}
			if e.Seq != uint64(i+1) || string(e.Data) != want {
				t.Fatalf("%s: entry %d = seq %d %q, want seq %d %q", n.Name(), i, e.Seq, e.Data, i+1, want)
			}
		}
		if got := readN(t, n, 7, 1); got[0].Seq != 7 || got[0].MsgID != "b-1" {
			t.Errorf("%s: read from 7 gave seq %d id %q", n.Name(), got[0].Seq, got[0].MsgID)
		}
	}

	// A stale expectation is refused, whatever node appends.
	_, err := nodes[2].Append(ctx, "stale", []byte("x"), last-1)
	if !errors.Is(err, cluster.ErrFenced) {
		t.Fatalf("append after %d when the log ends at %d: err %v, want ErrFenced", last-1, last, err)
	}
	// A retry of an entry that landed (its id and payload, after the seq
	// it expected then) returns its seq and appends nothing.
	seq, err := nodes[2].Append(ctx, "a-2", []byte("event a-2"), 2)
	if err != nil || seq != 3 {
		t.Fatalf("append of the known id a-2: seq %d err %v, want 3", seq, err)
	}
	// Another payload under an id already in the log is no retry: a
	// deposed writer that reuses an id (the same epoch and seq) with its
	// own entry, expecting the log as it last saw it, is fenced; it must
	// not be told that the other writer's entry at that seq is its own.
	if _, err := nodes[2].Append(ctx, "a-2", []byte("a deposed writer's own entry"), 2); !errors.Is(err, cluster.ErrFenced) {
		t.Fatalf("another payload under the known id a-2, after 2: err %v, want ErrFenced", err)
	}
	// The same payload that landed elsewhere than after the expected seq
	// says the expectation is stale too.
	if _, err := nodes[2].Append(ctx, "a-2", []byte("event a-2"), 5); !errors.Is(err, cluster.ErrFenced) {
		t.Fatalf("the known entry a-2 (seq 3) expected after 5: err %v, want ErrFenced", err)
	}
	if got, err := nodes[0].LastSeq(ctx); err != nil || got != last {
		t.Fatalf("last seq %d (%v), want %d", got, err, last)
	}

	epoch := nodes[0].Epoch()
	info, err := nodes[1].Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Epoch != epoch || epoch == "" || info.LastSeq != last || info.FirstSeq != 1 || info.Replicas != 3 ||
		len(info.Peers) != 3 || info.MetaLeader == "" || info.Leader == "" {
		t.Fatalf("info %+v, want epoch %q, seqs 1..%d, 3 replicas, 3 peers and leaders", info, epoch, last)
	}
	for _, n := range nodes {
		if n.Epoch() != epoch {
			t.Errorf("%s: epoch %q, want %q", n.Name(), n.Epoch(), epoch)
		}
		if err := n.CheckQuorum(ctx); err != nil {
			t.Errorf("%s: %v", n.Name(), err)
		}
	}
}
