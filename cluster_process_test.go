package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/internal/testutil"
)

// clusterNode is one syncmon process of a test cluster.
type clusterNode struct {
	name, base string
	route      string // its route listener (cluster.listen)
	cmd        *exec.Cmd
	logs       *testutil.Buffer
	exited     <-chan struct{}
	proc       *testutil.Process
}

// loopbackPorts is n free loopback ports.
func loopbackPorts(t *testing.T, n int) []int {
	t.Helper()
	return testutil.FreePorts(t, n)
}

// clusterOpts varies a test cluster.
type clusterOpts struct {
	config string                          // YAML after listen, database and auth; "": the demo simulator target
	env    func(name, dir string) []string // more environment for node name (dir: its directory)
	// routes gives node i's peers and advertised route address, given
	// every node's route listener; nil: every listener, and no advertise.
	routes func(i int, listens []string) (peers []string, advertise string)
	// cluster is more of the cluster section (indented YAML lines).
	cluster string
	// routeTLS: the routes over TLS, every node's certificate from one CA.
	routeTLS bool
}

// startClusterNodes builds the binary (once per test run) and starts n nodes, each with its
// own config, database and JetStream directory, on loopback ports.
func startClusterNodes(t *testing.T, n int) []*clusterNode {
	return startClusterWith(t, n, clusterOpts{})
}

func startClusterWith(t *testing.T, n int, o clusterOpts) []*clusterNode {
	t.Helper()
	dir := t.TempDir()
	bin := testutil.Build(t, ".", "")
	if n == 0 { // one node without cluster: (for comparisons)
		return []*clusterNode{startNodeWith(t, bin, dir, "single", "", loopbackPorts(t, 1)[0], o)}
	}
	ports := loopbackPorts(t, 2*n)
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("127.0.0.1:%d", ports[n+i]))
	}
	var ca *testutil.CA
	if o.routeTLS {
		ca = testutil.NewCA(t, "syncmon test routes")
	}
	var nodes []*clusterNode
	for i := range n {
		name := fmt.Sprintf("syncmon-%d", i+1)
		nd := filepath.Join(dir, name)
		if err := os.MkdirAll(nd, 0o755); err != nil {
			t.Fatal(err)
		}
		peers, advertise := routes, ""
		if o.routes != nil {
			peers, advertise = o.routes(i, routes)
		}
		var quoted []string
		for _, p := range peers {
			quoted = append(quoted, fmt.Sprintf("%q", p))
		}
		cluster := fmt.Sprintf(`cluster:
  node: %s
  listen: "%s"
  peers: [%s]
  data_dir: %q
  replicas: 3
`, name, routes[i], strings.Join(quoted, ", "), filepath.Join(dir, name, "js"))
		if advertise != "" {
			cluster += fmt.Sprintf("  advertise: %q\n", advertise)
		}
		if ca != nil {
			cert, key, caFile := ca.Files(t, nd, name)
			cluster += fmt.Sprintf("  tls_cert: %q\n  tls_key: %q\n  tls_ca: %q\n", cert, key, caFile)
		}
		cluster += o.cluster
		node := startNodeWith(t, bin, dir, name, cluster, ports[i], o)
		node.route = routes[i]
		nodes = append(nodes, node)
	}
	return nodes
}

// testClusterSecret is every test node's cluster secret.
const testClusterSecret = "cluster-process-test-secret"

// startNode starts one syncmon process named name in dir/name, with the
// cluster section given (none: a single node).
func startNode(t *testing.T, bin, dir, name, cluster string, port int) *clusterNode {
	return startNodeWith(t, bin, dir, name, cluster, port, clusterOpts{})
}

func startNodeWith(t *testing.T, bin, dir, name, cluster string, port int, o clusterOpts) *clusterNode {
	t.Helper()
	nd := filepath.Join(dir, name)
	if err := os.MkdirAll(nd, 0o755); err != nil {
		t.Fatal(err)
	}
	more := o.config
	if more == "" {
		more = "targets: [{name: demo, kind: simulator, schedule: \"@every 1s\"}]\n"
	}
	cfg := fmt.Sprintf(`listen: "127.0.0.1:%d"
database: %q
auth: {anonymous_viewer: true}
`, port, filepath.Join(nd, "syncmon.db")) + more + cluster
	cfgPath := filepath.Join(nd, "syncmon.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	// Every node has the same cluster secret, in its environment only.
	cmd.Env = append(os.Environ(), "SYNCMON_ADMIN_PASSWORD=cluster-test-pw", "SYNCMON_CLUSTER_SECRET="+testClusterSecret)
	if o.env != nil {
		cmd.Env = append(cmd.Env, o.env(name, nd)...)
	}
	c := &clusterNode{name: name, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	c.start(t, cmd)
	return c
}

// start runs cmd as this node's process (killed at cleanup), its log in a
// new buffer.
func (c *clusterNode) start(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Stdout = io.Discard
	c.proc = testutil.Start(t, cmd, nil)
	c.cmd, c.logs, c.exited = cmd, c.proc.Logs, c.proc.Exited()
	logs, name := c.logs, c.name
	t.Cleanup(func() { // before the process is killed
		if logs.Contains(testClusterSecret) {
			t.Errorf("%s logged the cluster secret", name)
		}
		if t.Failed() { // what each node was doing, for the failure's reader
			all := logs.String()
			lines := strings.Split(strings.TrimRight(all, "\n"), "\n")
			lines = lines[max(0, len(lines)-60):]
			t.Logf("%s's log, last %d lines:\n%s", name, len(lines), strings.Join(lines, "\n"))
			if dir := os.Getenv("SYNCMON_TEST_LOG_DIR"); dir != "" { // the whole log, kept
				f := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+name+".log")
				if err := os.WriteFile(f, []byte(all), 0o644); err == nil {
					t.Logf("%s's whole log: %s", name, f)
				}
			}
		}
	})
}

// kill is kill -9, waiting (bounded) for the process to be gone.
func (c *clusterNode) kill(t *testing.T) {
	c.proc.Kill(t)
}

func (c *clusterNode) status() (handlers.ClusterStatus, error) {
	var st handlers.ClusterStatus
	cl := http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get(c.base + "/api/cluster")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET /api/cluster: %s", resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// waitUntil polls cond every 200 ms until it holds or within passes.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	testutil.Poll(t, within, 200*time.Millisecond, what, cond)
}

// waitApplied waits until n says its read model has applied the log up
// to seq.
func waitApplied(t *testing.T, n *clusterNode, seq int64, within time.Duration) {
	t.Helper()
	waitUntil(t, within, fmt.Sprintf("%s applies the log up to seq %d", n.name, seq), func() (bool, string) {
		st, err := n.status()
		if err != nil {
			return false, err.Error()
		}
		for _, nd := range st.Nodes {
			if nd.Name == n.name && nd.AppliedSeq >= seq {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", st.Nodes)
	})
}

// agreedWriter waits until every node in nodes names the same writer, one
// of them, with a quorum; it returns that writer.
func agreedWriter(t *testing.T, nodes []*clusterNode, within time.Duration) *clusterNode {
	t.Helper()
	var writer *clusterNode
	waitUntil(t, within, "one writer all nodes agree on", func() (bool, string) {
		writer = nil
		var seen []string
		for _, n := range nodes {
			st, err := n.status()
			if err != nil {
				return false, n.name + ": " + err.Error()
			}
			seen = append(seen, fmt.Sprintf("%s: writer %q quorum %v", n.name, st.Writer, st.Quorum))
			if st.Writer == "" || !st.Quorum || (writer != nil && writer.name != st.Writer) {
				return false, strings.Join(seen, "; ")
			}
			for _, m := range nodes {
				if m.name == st.Writer {
					writer = m
				}
			}
			if writer == nil {
				return false, strings.Join(seen, "; ")
			}
		}
		return true, ""
	})
	return writer
}

const writerStarts = "this node is the writer: checks start"

// Three real processes: one writer, and only it runs the checks; after
// kill -9 of the writer another node takes over within 10 s of the lease
// (20 s bound here, for a loaded machine) and runs them; a node left alone
// raises syncmon/cluster on its own screens.
func TestClusterWriterFailoverAndMinority(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three syncmon processes")
	}
	// Beside the other cluster tests (-parallel: GOMAXPROCS at a time):
	// each waits mostly on elections and leases.
	t.Parallel()
	nodes := startClusterNodes(t, 3)
	writer := agreedWriter(t, nodes, 90*time.Second)
	// The lease is named before its holder has caught up and started its
	// checks.
	waitUntil(t, 30*time.Second, writer.name+" starts its checks", func() (bool, string) {
		return strings.Contains(writer.logs.String(), writerStarts), "not yet"
	})
	for _, n := range nodes {
		starts := strings.Count(n.logs.String(), writerStarts)
		if (n == writer) != (starts == 1) {
			t.Fatalf("%s (writer %s) started its checks %d times", n.name, writer.name, starts)
		}
	}

	var others []*clusterNode
	for _, n := range nodes {
		if n != writer {
			others = append(others, n)
		}
	}
	// Made on a node that is not the writer: forwarded to it.
	id := sameSeqOnEveryNode(t, nodes, others[0])
	ackOnBShowsOnC(t, others[0], others[1], id)

	// A burst of test alerts on a survivor, through the writer's kill -9.
	stopBurst := make(chan struct{})
	burstDone := make(chan []madeAlert)
	var count burstCount
	go func() { burstDone <- burst(others[0], &count, stopBurst) }()
	waitUntil(t, 30*time.Second, "test alerts answered 201 before the kill", func() (bool, string) {
		return count.total.Load() >= 5, fmt.Sprint(count.total.Load())
	})

	writer.kill(t)
	killedAt := time.Now()
	survivors := others
	next := agreedWriter(t, survivors, 30*time.Second)
	t.Logf("kill -9 of %s: %s is the writer after %s", writer.name, next.name, time.Since(killedAt).Round(time.Millisecond))
	next.logs.WaitFor(t, regexp.MustCompile("("+regexp.QuoteMeta(writerStarts)+")"), 30*time.Second) // a bound for a hang; the time is measured above
	waitUntil(t, 30*time.Second, "test alerts answered 201 after the failover", func() (bool, string) {
		return count.after.Load() > 0, "none yet"
	})
	close(stopBurst)
	made := <-burstDone
	for _, n := range survivors {
		exactlyOnce(t, n, made)
	}
	t.Logf("burst: %d test alerts answered 201, each delivered once under its seq on both survivors", len(made))

	next.kill(t)
	var alone *clusterNode
	for _, n := range survivors {
		if n != next {
			alone = n
		}
	}
	ws := dialWS(t, alone.base)
	deadline := time.Now().Add(60 * time.Second)
	for {
		w := readRaw(t, ws, time.Until(deadline))
		if w.Type == "alert.opened" && w.Alert != nil && w.Alert.Rule == "syncmon" && w.Alert.Program == "SYNCMON" &&
			w.Alert.Group == "cluster" && w.Alert.Target == "syncmon" && w.Seq == 0 && w.Unpersisted {
			break
		}
	}
	if st, err := alone.status(); err != nil || st.Quorum {
		t.Fatalf("%s alone: quorum %v (%v)", alone.name, st.Quorum, err)
	}
	if n := strings.Count(alone.logs.String(), writerStarts) - strings.Count(alone.logs.String(), "no longer the writer"); n > 0 {
		t.Fatalf("%s alone still runs its checks", alone.name)
	}
}

// wsMsg is what a screen reads, as far as these tests look.
type wsMsg struct {
	Seq         int64  `json:"seq"`
	Type        string `json:"type"`
	Unpersisted bool   `json:"unpersisted"`
	Alert       *struct {
		ID                           int64
		Rule, Program, Group, Target string
		Message                      string
	} `json:"alert"`
}

func readRaw(t *testing.T, c *websocket.Conn, within time.Duration) wsMsg {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(within))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var w wsMsg
	if err := json.Unmarshal(data, &w); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return w
}

// sameSeqOnEveryNode: a test alert made on node on (201 with its seq) is
// delivered by every node's screens under that seq, and every node's log
// up to it is the same, event for event. It returns the alert's id.
func sameSeqOnEveryNode(t *testing.T, nodes []*clusterNode, on *clusterNode) int64 {
	t.Helper()
	var conns []*websocket.Conn
	for _, n := range nodes {
		c := dialWS(t, n.base)
		if w := readRaw(t, c, 10*time.Second); w.Type != "hello" {
			t.Fatalf("%s: first message %+v", n.name, w)
		}
		conns = append(conns, c)
	}
	req, _ := http.NewRequest(http.MethodPost, on.base+"/api/alerts/test", strings.NewReader(`{"message":"cluster check"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("admin", "cluster-test-pw")
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var made struct {
		Alert struct{ ID int64 }
		Seq   int64
	}
	err = json.NewDecoder(resp.Body).Decode(&made)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || made.Seq == 0 {
		t.Fatalf("test alert on %s: %s, %+v, %v", on.name, resp.Status, made, err)
	}
	for i, c := range conns {
		deadline := time.Now().Add(20 * time.Second)
		for {
			w := readRaw(t, c, time.Until(deadline))
			if w.Type == "alert.opened" && w.Alert != nil && w.Alert.ID == made.Alert.ID {
				if w.Seq != made.Seq {
					t.Fatalf("%s delivered the test alert as seq %d, the writer answered %d", nodes[i].name, w.Seq, made.Seq)
				}
				break
			}
		}
	}
	var logs []string
	for _, n := range nodes {
		body := httpGet(t, fmt.Sprintf("%s/poll?since=0&wait=0", n.base))
		var ans struct {
			Events []json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal([]byte(body), &ans); err != nil {
			t.Fatalf("%s poll: %v: %s", n.name, err, body)
		}
		var upTo []string
		for _, e := range ans.Events {
			var w wsMsg
			if json.Unmarshal(e, &w) == nil && w.Seq > 0 && w.Seq <= made.Seq {
				upTo = append(upTo, string(e))
			}
		}
		logs = append(logs, strings.Join(upTo, "\n"))
	}
	for i := range logs {
		if logs[i] != logs[0] || logs[i] == "" {
			t.Fatalf("%s's log differs from %s's:\n%s\n---\n%s", nodes[i].name, nodes[0].name, logs[i], logs[0])
		}
	}
	return made.Alert.ID
}

// ackOnBShowsOnC: an ack made on node b (not the writer) is answered once
// b has applied it, and node c shows the alert acknowledged.
func ackOnBShowsOnC(t *testing.T, b, c *clusterNode, id int64) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/alerts/%d/ack", b.base, id), strings.NewReader(`{"comment":"seen on b"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("admin", "cluster-test-pw")
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ack on %s: %s %s", b.name, resp.Status, body)
	}
	for _, n := range []*clusterNode{b, c} {
		waitUntil(t, 15*time.Second, "the ack on "+n.name, func() (bool, string) {
			got := httpGet(t, fmt.Sprintf("%s/api/alerts/%d", n.base, id))
			return strings.Contains(got, `"state":"acked"`) && strings.Contains(got, `"comment":"seen on b"`), got
		})
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type madeAlert struct{ id, seq int64 }

// burstCount counts a burst's 201s (total), and those after its first
// failed request (after: the writer's death).
type burstCount struct{ total, after atomic.Int64 }

// burst makes test alerts on n, one after the other, until stop; it
// returns those answered 201.
func burst(n *clusterNode, count *burstCount, stop <-chan struct{}) []madeAlert {
	var made []madeAlert
	failed := false
	cl := &http.Client{Timeout: 20 * time.Second}
	for i := 0; ; i++ {
		select {
		case <-stop:
			return made
		default:
		}
		req, _ := http.NewRequest(http.MethodPost, n.base+"/api/alerts/test", strings.NewReader(fmt.Sprintf(`{"message":"burst %d"}`, i)))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("admin", "cluster-test-pw")
		resp, err := cl.Do(req)
		if err != nil {
			failed = true
			continue
		}
		var ans struct {
			Alert struct{ ID int64 }
			Seq   int64
		}
		err = json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusCreated {
			failed = true
			time.Sleep(100 * time.Millisecond) // no writer yet: a pace between tries
			continue
		}
		made = append(made, madeAlert{ans.Alert.ID, ans.Seq})
		count.total.Add(1)
		if failed {
			count.after.Add(1)
		}
	}
}

// exactlyOnce reads n's whole log (by poll pages) and checks that each
// made alert was opened exactly once, under the seq its 201 gave.
func exactlyOnce(t *testing.T, n *clusterNode, made []madeAlert) {
	t.Helper()
	want := made[len(made)-1].seq
	opened := map[int64][]int64{}
	since := int64(0)
	deadline := time.Now().Add(30 * time.Second)
	for since < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: log read up to %d, want %d", n.name, since, want)
		}
		var ans struct {
			Head   int64             `json:"head"`
			Events []json.RawMessage `json:"events"`
		}
		body := httpGet(t, fmt.Sprintf("%s/poll?since=%d&wait=1", n.base, since))
		if err := json.Unmarshal([]byte(body), &ans); err != nil {
			t.Fatalf("%s poll: %v", n.name, err)
		}
		for _, e := range ans.Events {
			var w wsMsg
			if json.Unmarshal(e, &w) == nil && w.Type == "alert.opened" && w.Alert != nil && w.Seq > 0 {
				opened[w.Alert.ID] = append(opened[w.Alert.ID], w.Seq)
			}
		}
		if ans.Head > since {
			since = ans.Head
		}
	}
	for _, m := range made {
		if got := opened[m.id]; len(got) != 1 || got[0] != m.seq {
			t.Fatalf("%s: alert %d (201 with seq %d) opened as %v", n.name, m.id, m.seq, got)
		}
	}
}

// restart starts a killed node again with the same config, database and
// JetStream directory.
func (c *clusterNode) restart(t *testing.T) {
	t.Helper()
	cmd := exec.Command(c.cmd.Path, c.cmd.Args[1:]...)
	cmd.Env = c.cmd.Env
	c.start(t, cmd)
}

// makeTestAlerts makes n test alerts on node on, with par requests at a
// time; it fails the test on any answer but 201.
func makeTestAlerts(t *testing.T, on *clusterNode, n, par int) {
	t.Helper()
	errs := make(chan error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	cl := &http.Client{Timeout: 30 * time.Second}
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				// Retried until 201: a node's death pauses writes while
				// the stream elects a leader, if it led the stream.
				for try := 0; ; try++ {
					req, _ := http.NewRequest(http.MethodPost, on.base+"/api/alerts/test", strings.NewReader(fmt.Sprintf(`{"message":"catch up %d"}`, i)))
					req.Header.Set("Content-Type", "application/json")
					req.SetBasicAuth("admin", "cluster-test-pw")
					resp, err := cl.Do(req)
					if err == nil {
						resp.Body.Close()
						if resp.StatusCode == http.StatusCreated {
							break
						}
						err = fmt.Errorf("test alert %d: %s", i, resp.Status)
					}
					if try == 100 {
						errs <- err
						break
					}
					time.Sleep(200 * time.Millisecond) // a pace between tries
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// readLog reads n's whole log by poll pages, up to seq upTo.
func readLog(t *testing.T, n *clusterNode, upTo int64) []string {
	t.Helper()
	var out []string
	since := int64(0)
	deadline := time.Now().Add(60 * time.Second)
	for since < upTo {
		if time.Now().After(deadline) {
			t.Fatalf("%s: log read up to %d, want %d", n.name, since, upTo)
		}
		var ans struct {
			Head   int64             `json:"head"`
			Events []json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal([]byte(httpGet(t, fmt.Sprintf("%s/poll?since=%d&wait=1", n.base, since))), &ans); err != nil {
			t.Fatalf("%s poll: %v", n.name, err)
		}
		for _, e := range ans.Events {
			var w wsMsg
			if json.Unmarshal(e, &w) == nil && w.Seq > 0 && w.Seq <= upTo {
				out = append(out, string(e))
			}
		}
		if ans.Head > since {
			since = ans.Head
		}
	}
	return out
}

// sameLog fails t unless the events up to seq that a and b deliver are
// the same, byte for byte; it names the first that differs.
func sameLog(t *testing.T, a, b *clusterNode, seq int64) {
	t.Helper()
	la, lb := readLog(t, a, seq), readLog(t, b, seq)
	for i := range max(len(la), len(lb)) {
		var ea, eb string
		if i < len(la) {
			ea = la[i]
		}
		if i < len(lb) {
			eb = lb[i]
		}
		if ea != eb {
			t.Fatalf("%s's log (%d events) differs from %s's (%d) at event %d:\n%s: %s\n%s: %s",
				b.name, len(lb), a.name, len(la), i+1, a.name, ea, b.name, eb)
		}
	}
}

// A node killed, then restarted after missing 1000 events, applies them
// all: its log is then the writer's, event for event. While it is away,
// the writer raises syncmon/nodes naming it, through the log (so the third
// node shows it too), and resolves it once the node is back.
func TestClusterNodeCatchesUpAfterMissing1000Events(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three syncmon processes")
	}
	// Beside the other cluster tests (-parallel: GOMAXPROCS at a time):
	// each waits mostly on elections and leases.
	t.Parallel()
	nodes := startClusterWith(t, 3, clusterOpts{cluster: "  lost_after: 5s\n"})
	writer := agreedWriter(t, nodes, 90*time.Second)
	var away, third *clusterNode
	for _, n := range nodes {
		if n != writer {
			third, away = away, n
		}
	}
	before, err := third.status()
	if err != nil {
		t.Fatal(err)
	}
	nodesLog := &logWatch{n: third, since: int64(before.Stream.LastSeq)}
	away.kill(t)
	killed := time.Now()
	makeTestAlerts(t, writer, 1000, 8)
	t.Logf("1000 test alerts with a node away: %s", time.Since(killed).Round(time.Millisecond))
	// Through the log (a seq): on the third node, whoever writes by then.
	nodesLog.waitNodesAlert(t, "alert.opened", away.name, 60*time.Second)
	t.Logf("syncmon/nodes raised and seen %s after %s was killed", time.Since(killed).Round(time.Millisecond), away.name)
	st, err := writer.status()
	if err != nil {
		t.Fatal(err)
	}
	last := st.Stream.LastSeq
	away.restart(t)
	restarted := time.Now()
	waitApplied(t, away, last, 90*time.Second)
	t.Logf("%s caught up %d seqs %s after its restart", away.name, last, time.Since(restarted).Round(time.Millisecond))
	nodesLog.waitNodesAlert(t, "alert.resolved", away.name, 60*time.Second)
	if last < 1000 {
		t.Fatalf("the log holds %d events, want 1000 or more", last)
	}
	sameLog(t, writer, away, last)
}

// logWatch reads a node's log forward (/poll), from a seq on, for a test
// that waits on one event among many (GET /api/alerts lists only the
// newest 200 alerts).
type logWatch struct {
	n     *clusterNode
	since int64
}

// next reads what the node has applied after w.since, at most one page.
func (w *logWatch) next(t *testing.T) []wsMsg {
	t.Helper()
	var ans struct {
		Head   int64   `json:"head"`
		Events []wsMsg `json:"events"`
	}
	if err := json.Unmarshal([]byte(httpGet(t, fmt.Sprintf("%s/poll?since=%d&wait=1", w.n.base, w.since))), &ans); err != nil {
		t.Fatalf("%s poll: %v", w.n.name, err)
	}
	if ans.Head > w.since {
		w.since = ans.Head
	}
	return ans.Events
}

// waitNodesAlert waits until w's node applies syncmon/nodes, of type typ
// (alert.opened, alert.resolved), whose message names node.
func (w *logWatch) waitNodesAlert(t *testing.T, typ, node string, within time.Duration) {
	t.Helper()
	waitUntil(t, within, fmt.Sprintf("%s applies %s of syncmon/nodes naming %s", w.n.name, typ, node), func() (bool, string) {
		for _, e := range w.next(t) {
			if a := e.Alert; e.Type == typ && e.Seq > 0 && a != nil && a.Target == "syncmon" && a.Rule == "syncmon" &&
				a.Group == "nodes" && strings.Contains(a.Message, node) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("read up to seq %d", w.since)
	})
}

// deliveryLatency makes n test alerts on post, one at a time, and times
// each from its request until watch's WebSocket delivers it.
func deliveryLatency(t *testing.T, post, watch *clusterNode, n int) []time.Duration {
	t.Helper()
	ws := dialWS(t, watch.base)
	if w := readRaw(t, ws, 10*time.Second); w.Type != "hello" {
		t.Fatalf("first message %+v", w)
	}
	cl := &http.Client{Timeout: 20 * time.Second}
	var took []time.Duration
	for i := range n {
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPost, post.base+"/api/alerts/test", strings.NewReader(fmt.Sprintf(`{"message":"latency %d"}`, i)))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("admin", "cluster-test-pw")
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var made struct{ Alert struct{ ID int64 } }
		err = json.NewDecoder(resp.Body).Decode(&made)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("test alert: %s %v", resp.Status, err)
		}
		for {
			w := readRaw(t, ws, 20*time.Second)
			if w.Type == "alert.opened" && w.Alert != nil && w.Alert.ID == made.Alert.ID {
				break
			}
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return took
}

// The extra latency of a clustered delivery (request on the writer →
// appended on a majority → applied and sent by another node) over a
// single node's, for docs/PERFORMANCE.md.
func TestClusterDeliveryLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four syncmon processes")
	}
	single := startClusterNodes(t, 0)[0]
	waitUntil(t, 30*time.Second, "the single node serves", func() (bool, string) {
		_, err := single.status()
		return err == nil, fmt.Sprint(err)
	})
	nodes := startClusterNodes(t, 3)
	writer := agreedWriter(t, nodes, 90*time.Second)
	var other *clusterNode
	for _, n := range nodes {
		if n != writer {
			other = n
		}
	}
	const n = 50
	one := deliveryLatency(t, single, single, n)
	clu := deliveryLatency(t, writer, other, n)
	fwd := deliveryLatency(t, other, other, n)
	t.Logf("test alert request → delivered, %d each: single node p50 %s max %s; cluster (writer → another node's screen) p50 %s max %s; forwarded (non-writer → its own screen) p50 %s max %s",
		n, one[n/2], one[n-1], clu[n/2], clu[n-1], fwd[n/2], fwd[n-1])
}

// The chaos run: 5 rounds of kill -9 of the current writer during a burst
// of test alerts made on another node, the killed node restarted after
// each; afterwards every alert answered 201 is opened exactly once, under
// its seq, on every node.
func TestClusterChaosFiveWriterKills(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three syncmon processes, five kills")
	}
	// Beside the other cluster tests (-parallel: GOMAXPROCS at a time):
	// each waits mostly on elections and leases.
	t.Parallel()
	nodes := startClusterNodes(t, 3)
	var all []madeAlert
	for round := 1; round <= 5; round++ {
		writer := agreedWriter(t, nodes, 90*time.Second)
		var on *clusterNode
		for _, n := range nodes {
			if n != writer {
				on = n
				break
			}
		}
		var count burstCount
		stop := make(chan struct{})
		done := make(chan []madeAlert)
		go func() { done <- burst(on, &count, stop) }()
		waitUntil(t, 60*time.Second, "test alerts before the kill", func() (bool, string) {
			return count.total.Load() >= 5, fmt.Sprint(count.total.Load())
		})
		writer.kill(t)
		killed := time.Now()
		var survivors []*clusterNode
		for _, n := range nodes {
			if n != writer {
				survivors = append(survivors, n)
			}
		}
		next := agreedWriter(t, survivors, 60*time.Second)
		took := time.Since(killed)
		waitUntil(t, 60*time.Second, "test alerts after the failover", func() (bool, string) {
			return count.after.Load() > 0, "none yet"
		})
		close(stop)
		made := <-done
		all = append(all, made...)
		t.Logf("round %d: kill -9 of %s, %s writes after %s; %d alerts answered 201", round, writer.name, next.name, took.Round(time.Millisecond), len(made))
		writer.restart(t)
	}
	agreedWriter(t, nodes, 90*time.Second)
	for _, n := range nodes {
		exactlyOnce(t, n, all)
	}
}
