package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/handlers"
)

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// One node: itself the writer, the stream its SQLite log, the epoch the
// database's, the same epoch hello carries.
func TestAPIClusterSingleNode(t *testing.T) {
	ts := newTestServer(t, handlers.Options{NodeName: "solo"})
	testAlert(t, ts.Store, "one")
	seq := testAlert(t, ts.Store, "two")

	var st handlers.ClusterStatus
	if err := json.Unmarshal([]byte(getBody(t, ts.URL+"/api/cluster")), &st); err != nil {
		t.Fatal(err)
	}
	epoch := ts.Store.Epoch()
	if len(epoch) != 32 {
		t.Fatalf("epoch %q: want 32 hex digits", epoch)
	}
	if st.Node != "solo" || st.Writer != "solo" || st.Epoch != epoch || !st.Quorum ||
		len(st.Nodes) != 1 || st.Nodes[0] != (handlers.ClusterNode{Name: "solo", Reachable: true, AppliedSeq: seq, Writer: true}) ||
		st.Stream.FirstSeq != 1 || st.Stream.LastSeq != seq || st.Stream.Replicas != 1 {
		t.Fatalf("cluster status %+v (seq %d, epoch %s)", st, seq, epoch)
	}

	c, _, err := dialWS(t, ts.URL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hello struct {
		Type, Epoch string
	}
	if err := c.ReadJSON(&hello); err != nil || hello.Type != "hello" || hello.Epoch != epoch {
		t.Fatalf("hello %+v (%v): want epoch %s", hello, err, epoch)
	}

	metrics := getBody(t, ts.URL+"/metrics")
	for _, want := range []string{"syncmon_cluster_writer 1", `syncmon_cluster_applied_seq{node="solo"} 2`,
		"syncmon_cluster_stream_last_seq 2", "syncmon_cluster_nodes_reachable 1", "syncmon_cluster_quorum 1"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// A client resuming with another log's epoch is reset, on every transport;
// with this log's epoch it gets its backlog.
func TestResumeFromAnotherEpochResets(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	testAlert(t, ts.Store, "one")
	testAlert(t, ts.Store, "two")
	epoch := ts.Store.Epoch()

	poll := func(q string) string {
		return getBody(t, ts.URL+"/poll?wait=0&"+q)
	}
	if got := poll("since=0&epoch=" + epoch); strings.Contains(got, `"reset"`) || !strings.Contains(got, `"seq":2`) {
		t.Fatalf("same epoch: %s", got)
	}
	if got := poll("since=0&epoch=otherlog"); !strings.Contains(got, `"type":"reset"`) || !strings.Contains(got, epoch) {
		t.Fatalf("other epoch: %s", got)
	}

	c, _, err := dialWS(t, ts.URL, "?since=0&epoch=otherlog", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if w := readEvent(t, c, 5*time.Second); w.Type != "hello" {
		t.Fatalf("first: %+v", w)
	}
	if w := readEvent(t, c, 5*time.Second); w.Type != "reset" || w.Head != 2 {
		t.Fatalf("second: %+v, want reset at 2", w)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/events?since=1&epoch=otherlog", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 4096)
	var got strings.Builder
	for !strings.Contains(got.String(), `"reset"`) {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("sse: %v after %q", err, got.String())
		}
	}
	if strings.Contains(got.String(), `"seq":2`) {
		t.Fatalf("sse sent another log's backlog: %q", got.String())
	}
}

func TestScreensShowsCluster(t *testing.T) {
	ts := newTestServer(t, handlers.Options{NodeName: "solo", Cluster: func(context.Context) (handlers.ClusterStatus, error) {
		return handlers.ClusterStatus{Node: "n1", Writer: "n2", Epoch: "E", Nodes: []handlers.ClusterNode{
			{Name: "n1", Reachable: true, AppliedSeq: 7}, {Name: "n2", Reachable: false, AppliedSeq: 9, Writer: true}},
			Stream: handlers.ClusterStream{FirstSeq: 1, LastSeq: 9, Replicas: 3}}, nil
	}})
	_ = ts
	var st handlers.ClusterStatus
	if err := json.Unmarshal([]byte(getBody(t, ts.URL+"/api/cluster")), &st); err != nil || st.Writer != "n2" || len(st.Nodes) != 2 {
		t.Fatalf("%+v %v", st, err)
	}
	metrics := getBody(t, ts.URL+"/metrics")
	for _, want := range []string{"syncmon_cluster_writer 0", `syncmon_cluster_applied_seq{node="n2"} 9`, "syncmon_cluster_nodes_reachable 1", "syncmon_cluster_quorum 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
