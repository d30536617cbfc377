package cluster_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/syncmon/syncmon/cluster"
)

// TestMain doubles as a cluster node when SYNCMON_CLUSTER_NODE is set, so
// that a test can run nodes as real processes and kill them with SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("SYNCMON_CLUSTER_NODE") != "" {
		if err := runNode(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runNode is a node process: it opens the log, campaigns for the lease and,
// while it writes, appends an entry every 20 ms, printing what happens:
// "open", "writer true|false", "appended SEQ ID", "fenced". It runs until killed.
func runNode() error {
	cfg := cluster.Config{Node: os.Getenv("SYNCMON_CLUSTER_NODE"), Listen: os.Getenv("SYNCMON_CLUSTER_LISTEN"),
		Peers: strings.Split(os.Getenv("SYNCMON_CLUSTER_PEERS"), ","), DataDir: os.Getenv("SYNCMON_CLUSTER_DATA"),
		ClientListen: os.Getenv("SYNCMON_CLUSTER_CLIENT"), Replicas: 3, Logger: testLogger()}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	node, err := cluster.Start(ctx, cfg)
	if err != nil {
		return err
	}
	if err := node.Open(ctx); err != nil {
		return err
	}
	lease, err := node.NewLease()
	if err != nil {
		return err
	}
	fmt.Println("open")
	var writing bool
	var last, term uint64
	var i int
	tick := time.NewTicker(20 * time.Millisecond)
	for {
		select {
		case w := <-lease.Changes():
			fmt.Println("writer", w)
			writing = w
			if w {
				term = lease.Term()
				if last, err = lastSeq(node); err != nil {
					fmt.Println("error", err)
					writing = false
				}
			}
		case <-tick.C:
			if !writing || !lease.IsWriter() {
				continue
			}
			id := fmt.Sprintf("%s-%d-%d", cfg.Node, term, i)
			actx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			seq, err := node.Append(actx, id, []byte(id), last)
			cancel()
			switch {
			case err == nil:
				fmt.Println("appended", seq, id)
				last = seq
				i++
			case errors.Is(err, cluster.ErrFenced):
				fmt.Println("fenced")
				if last, err = lastSeq(node); err != nil {
					writing = false
				}
			default: // no quorum: retry the same id, which cannot duplicate
			}
		}
	}
}

func lastSeq(node *cluster.Node) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return node.LastSeq(ctx)
}

type line struct {
	node int
	at   time.Time
	text string
}

type proc struct {
	cmd    *exec.Cmd
	client string
}

func startProc(t *testing.T, cfg cluster.Config, idx int, client string, out chan<- line) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SYNCMON_CLUSTER_NODE="+cfg.Node, "SYNCMON_CLUSTER_LISTEN="+cfg.Listen,
		"SYNCMON_CLUSTER_PEERS="+strings.Join(cfg.Peers, ","), "SYNCMON_CLUSTER_DATA="+cfg.DataDir,
		"SYNCMON_CLUSTER_CLIENT="+client)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out <- line{idx, time.Now(), sc.Text()}
		}
	}()
	p := &proc{cmd: cmd, client: client}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return p
}

// TestKill9Failover runs three node processes, kills the writer's with
// SIGKILL mid-stream and checks that another takes over within 10 s and
// that the log has every acknowledged entry exactly once, in order.
func TestKill9Failover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes")
	}
	cfgs := configs(t, 3)
	clients := freePorts(t, 3)
	out := make(chan line, 10000)
	procs := make([]*proc, 3)
	began := time.Now()
	for i, c := range cfgs {
		procs[i] = startProc(t, c, i, "127.0.0.1:"+strconv.Itoa(clients[i]), out)
	}
	acked := map[uint64]string{} // seq → id, as the writers printed them
	var lastAcked uint64
	writer, opened := -1, 0
	var killedAt time.Time
	killed, next := -1, -1
	var failover, firstAppend time.Duration
	deadline := time.After(120 * time.Second)
	for next < 0 || firstAppend == 0 || len(acked) < 200 {
		var l line
		select {
		case l = <-out:
		case <-deadline:
			t.Fatalf("stuck: opened %d writer %d killed %d next %d acked %d", opened, writer, killed, next, len(acked))
		}
		f := strings.Fields(l.text)
		switch f[0] {
		case "error":
			t.Fatalf("node %d: %s", l.node, l.text)
		case "open":
			if opened++; opened == 3 {
				t.Logf("3 node processes open in %s", time.Since(began).Round(time.Millisecond))
			}
		case "writer":
			if f[1] == "true" {
				if writer >= 0 && writer != killed {
					t.Fatalf("node %d became writer while node %d was", l.node, writer)
				}
				writer = l.node
				if killed >= 0 {
					next, failover = l.node, l.at.Sub(killedAt)
				}
			} else if l.node == writer {
				writer = -1
			}
		case "appended":
			seq, _ := strconv.ParseUint(f[1], 10, 64)
			if prev, dup := acked[seq]; dup {
				t.Fatalf("seq %d acknowledged twice: %s and %s", seq, prev, f[2])
			}
			acked[seq], lastAcked = f[2], max(lastAcked, seq)
			if l.node == next && firstAppend == 0 {
				firstAppend = l.at.Sub(killedAt)
			}
			if killed < 0 && len(acked) == 50 {
				killed, killedAt = l.node, time.Now()
				if err := procs[killed].cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	t.Logf("kill -9 of %s: %s took the lease after %s, appended after %s", cfgs[killed].Node, cfgs[next].Node,
		failover.Round(time.Millisecond), firstAppend.Round(time.Millisecond))
	if failover > 10*time.Second {
		t.Errorf("failover took %s, want at most 10s", failover)
	}
	checkLog(t, procs[next].client, acked, lastAcked)
}

// checkLog reads the whole log through a survivor's client port: it must
// be contiguous, hold every acknowledged entry at its seq, and no id twice.
func checkLog(t *testing.T, client string, acked map[uint64]string, upTo uint64) {
	t.Helper()
	nc, err := nats.Connect("nats://" + client)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, cluster.StreamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	it, err := cons.Messages()
	if err != nil {
		t.Fatal(err)
	}
	defer it.Stop()
	seen := map[string]uint64{}
	for want := uint64(1); want <= upTo; want++ {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			t.Fatalf("read seq %d: %v", want, err)
		}
		md, _ := msg.Metadata()
		id := string(msg.Data())
		if md.Sequence.Stream != want {
			t.Fatalf("seq %d after %d", md.Sequence.Stream, want-1)
		}
		if a, ok := acked[want]; ok && a != id {
			t.Fatalf("seq %d holds %s, acknowledged as %s", want, id, a)
		}
		if prev, dup := seen[id]; dup {
			t.Fatalf("id %s at seq %d and %d", id, prev, want)
		}
		seen[id] = want
	}
}
