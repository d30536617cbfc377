package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// infoAllWith is a fake GGSCI's INFO ALL answer: the manager running and
// one REPLICAT group with status.
func infoAllWith(group, status string) string {
	return "GGSCI (fakehost) 1> info all\n\nProgram     Status      Group       Lag at Chkpt  Time Since Chkpt\n\n" +
		"MANAGER     RUNNING\n" +
		fmt.Sprintf("%-12s%-12s%-12s%-14s%s\n", "REPLICAT", status, group, "00:00:06", "00:00:18")
}

// setInfoAll replaces the file a fake GGSCI answers INFO ALL from, whole.
func setInfoAll(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path+".new", []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

// webhook is a notification receiver on 127.0.0.1: every POST it gets.
type webhook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []hookPost
	keys map[string]int
}

type hookPost struct {
	Key   string `json:"idempotency_key"`
	Seq   int64  `json:"seq"`
	Type  string `json:"type"`
	Alert struct {
		ID      int64  `json:"id"`
		Group   string `json:"group"`
		Message string `json:"message"`
	} `json:"alert"`
}

func newWebhook(t *testing.T) *webhook {
	h := &webhook{keys: map[string]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p hookPost
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("webhook body %s: %v", body, err)
		}
		h.mu.Lock()
		h.got = append(h.got, p)
		h.keys[p.Key]++
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *webhook) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fmt.Sprintf("%+v", h.got)
}

// posts returns the POSTs about an alert whose message contains msg.
func (h *webhook) posts(typ, msg string) []hookPost {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookPost
	for _, p := range h.got {
		if p.Type == typ && strings.Contains(p.Alert.Message, msg) {
			out = append(out, p)
		}
	}
	return out
}

// logEvent is an event of a node's log as this test reads it.
type logEvent struct {
	Seq    int64  `json:"seq"`
	Type   string `json:"type"`
	Writer *struct {
		Node string `json:"node"`
		Term uint64 `json:"term"`
	} `json:"writer"`
	Alert *struct {
		ID                                  int64
		Target, Program, Group, Rule, State string
	} `json:"alert"`
}

// wholeLog reads every event node n has, by poll pages, up to its head.
func wholeLog(t *testing.T, n *clusterNode) []logEvent {
	t.Helper()
	var out []logEvent
	since := int64(0)
	for {
		var ans struct {
			Head   int64      `json:"head"`
			Events []logEvent `json:"events"`
		}
		if err := json.Unmarshal([]byte(httpGet(t, fmt.Sprintf("%s/poll?since=%d&wait=0", n.base, since))), &ans); err != nil {
			t.Fatalf("%s poll: %v", n.name, err)
		}
		out = append(out, ans.Events...)
		if len(ans.Events) == 0 || ans.Head <= since {
			return out
		}
		since = ans.Events[len(ans.Events)-1].Seq
	}
}

// alertEvents are the log's events of type typ about target's group and rule.
func alertEvents(log []logEvent, typ, target, group, rule string) []logEvent {
	var out []logEvent
	for _, e := range log {
		if e.Type == typ && e.Alert != nil && e.Alert.Target == target && e.Alert.Group == group && e.Alert.Rule == rule {
			out = append(out, e)
		}
	}
	return out
}

// targetObserved is when node n last checked target (its /api/state).
func targetObserved(t *testing.T, n *clusterNode, target string) time.Time {
	t.Helper()
	var st struct {
		Targets []struct {
			Name       string    `json:"name"`
			ObservedAt time.Time `json:"observed_at"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(httpGet(t, n.base+"/api/state")), &st); err != nil {
		t.Fatalf("%s /api/state: %v", n.name, err)
	}
	for _, x := range st.Targets {
		if x.Name == target {
			return x.ObservedAt
		}
	}
	return time.Time{}
}

// notifyCursor is node n's channel "hook" cursor (its /metrics, loopback).
func notifyCursor(t *testing.T, n *clusterNode) int64 {
	t.Helper()
	for _, line := range strings.Split(httpGet(t, n.base+"/metrics"), "\n") {
		if strings.HasPrefix(line, "syncmon_notifications_cursor_seq{") && strings.Contains(line, `channel="hook"`) {
			var v float64
			if _, err := fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &v); err == nil {
				return int64(v)
			}
		}
	}
	return -1
}

// makeTestAlert makes one test alert on n and returns its id and seq.
func makeTestAlert(t *testing.T, n *clusterNode, msg string) (int64, int64) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, n.base+"/api/alerts/test", strings.NewReader(fmt.Sprintf(`{"message":%q}`, msg)))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("admin", "cluster-test-pw")
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var made struct {
		Alert struct{ ID int64 }
		Seq   int64
	}
	if err := json.NewDecoder(resp.Body).Decode(&made); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("test alert on %s: %s %v", n.name, resp.Status, err)
	}
	return made.Alert.ID, made.Seq
}

// The writer's kill -9 with alerts open, three real processes, a fake
// GGSCI target per condition and a webhook:
//   - each tenure begins with writer.changed naming the writer and its term;
//   - a condition that continues keeps its alert: exactly one alert.opened,
//     the same id, on both survivors, after the new writer's checks ran;
//   - a condition that cleared during the failover resolves that alert;
//   - only the writer notifies, and the new one goes on where the old one
//     stopped: exactly one POST per event, across the writer change;
//   - the self-monitor runs on the writer: its clock jump is in the log.
func TestClusterFailoverKeepsAlertsAndNotifiesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three syncmon processes")
	}
	// Beside the other cluster tests (-parallel: GOMAXPROCS at a time):
	// each waits mostly on elections and leases.
	t.Parallel()
	dir := t.TempDir()
	east, west := filepath.Join(dir, "east.infoall"), filepath.Join(dir, "west.infoall")
	setInfoAll(t, east, infoAllWith("REP1", "ABENDED"))
	setInfoAll(t, west, infoAllWith("REP2", "ABENDED"))
	fake, err := filepath.Abs(filepath.Join("monitor", "ggsci", "testdata", "fake_ggsci.sh"))
	if err != nil {
		t.Fatal(err)
	}
	hook := newWebhook(t)
	cfg := fmt.Sprintf(`targets:
  - {name: east, kind: ggsci, schedule: "@every 1s", command: [%q, %q]}
  - {name: west, kind: ggsci, schedule: "@every 1s", command: [%q, %q]}
notifications:
  - {name: hook, kind: webhook, url_env: SYNCMON_TEST_HOOK, include_test: true}
`, fake, east, fake, west)
	nodes := startClusterWith(t, 3, clusterOpts{config: cfg, env: func(name, nd string) []string {
		clock := filepath.Join(nd, "clock-offset")
		if err := os.WriteFile(clock, []byte("0s"), 0o600); err != nil {
			t.Fatal(err)
		}
		return []string{"SYNCMON_TEST_HOOK=" + hook.srv.URL, "SYNCMON_CLOCK_OFFSET_FILE=" + clock}
	}})
	writer := agreedWriter(t, nodes, 90*time.Second)
	var survivors []*clusterNode
	for _, n := range nodes {
		if n != writer {
			survivors = append(survivors, n)
		}
	}

	// Both conditions open their alert, told once to the webhook.
	var eastID, westID int64
	waitUntil(t, 30*time.Second, "both abends opened on every node", func() (bool, string) {
		for _, n := range nodes {
			log := wholeLog(t, n)
			e, w := alertEvents(log, "alert.opened", "east", "REP1", "process_status"), alertEvents(log, "alert.opened", "west", "REP2", "process_status")
			if len(e) != 1 || len(w) != 1 {
				return false, fmt.Sprintf("%s: east %d, west %d", n.name, len(e), len(w))
			}
			eastID, westID = e[0].Alert.ID, w[0].Alert.ID
		}
		return true, ""
	})
	waitUntil(t, 30*time.Second, "the webhook told of both", func() (bool, string) {
		return len(hook.posts("alert.opened", "REP1")) == 1 && len(hook.posts("alert.opened", "REP2")) == 1, hook.String()
	})
	// The first tenure's marker, first of the writer's events.
	markers := func(n *clusterNode) []logEvent {
		var out []logEvent
		for _, e := range wholeLog(t, n) {
			if e.Type == "writer.changed" {
				out = append(out, e)
			}
		}
		return out
	}
	if m := markers(survivors[0]); len(m) != 1 || m[0].Writer == nil || m[0].Writer.Node != writer.name || m[0].Writer.Term == 0 {
		t.Fatalf("writer.changed before the kill: %+v", m)
	}
	testID, testSeq := makeTestAlert(t, survivors[0], "notified once")
	// Killed once the writer has told it and reported so: the survivors'
	// channels have passed over it (a kill between the POST and the report
	// may send it again: the guarantee is at least once).
	waitUntil(t, 30*time.Second, "the survivors pass over the test alert", func() (bool, string) {
		a, b := notifyCursor(t, survivors[0]), notifyCursor(t, survivors[1])
		return len(hook.posts("alert.opened", "notified once")) == 1 && a >= testSeq && b >= testSeq, fmt.Sprint(a, b, hook.String())
	})

	writer.kill(t)
	setInfoAll(t, west, infoAllWith("REP2", "RUNNING")) // cleared during the failover
	next := agreedWriter(t, survivors, 30*time.Second)
	took := time.Now()
	waitUntil(t, 30*time.Second, next.name+" checked both targets twice", func() (bool, string) {
		e, w := targetObserved(t, next, "east"), targetObserved(t, next, "west")
		return e.After(took.Add(2500*time.Millisecond)) && w.After(took.Add(2500*time.Millisecond)), fmt.Sprint(e, w)
	})
	for _, n := range survivors {
		waitUntil(t, 30*time.Second, n.name+": west's alert resolved", func() (bool, string) {
			r := alertEvents(wholeLog(t, n), "alert.resolved", "west", "REP2", "process_status")
			return len(r) == 1 && r[0].Alert.ID == westID, fmt.Sprint(r)
		})
		log := wholeLog(t, n)
		if o := alertEvents(log, "alert.opened", "east", "REP1", "process_status"); len(o) != 1 || o[0].Alert.ID != eastID {
			t.Fatalf("%s: east's abend opened %d times after the failover (%+v), want once as alert %d", n.name, len(o), o, eastID)
		}
		if o := alertEvents(log, "alert.opened", "west", "REP2", "process_status"); len(o) != 1 {
			t.Fatalf("%s: west's abend opened %d times", n.name, len(o))
		}
		m := markers(n)
		// Two tenures at least: the first writer's and next's. Under load a
		// writer may miss a renewal and take over again (a new term, a new
		// marker): each marker's term grows, and the last names next.
		increasing := len(m) >= 2
		for i := 1; i < len(m); i++ {
			increasing = increasing && m[i].Writer.Term > m[i-1].Writer.Term
		}
		if !increasing || m[len(m)-1].Writer.Node != next.name {
			var seen []string
			for _, x := range m {
				seen = append(seen, fmt.Sprintf("%s@%d", x.Writer.Node, x.Writer.Term))
			}
			t.Fatalf("%s: writer.changed events %v, want two or more with growing terms, the last naming %s", n.name, seen, next.name)
		}
	}

	// A last test alert: the channel works in seq order, so once it is told,
	// every event before it has been (or would have been) sent again.
	makeTestAlert(t, survivors[0], "after the failover")
	waitUntil(t, 30*time.Second, "the webhook told of the last test alert", func() (bool, string) {
		return len(hook.posts("alert.opened", "after the failover")) == 1, hook.String()
	})
	for _, c := range []struct{ typ, msg string }{{"alert.opened", "REP1"}, {"alert.opened", "REP2"}, {"alert.resolved", "REP2"}, {"alert.opened", "notified once"}} {
		if p := hook.posts(c.typ, c.msg); len(p) != 1 {
			t.Errorf("%s of %q: %d POSTs, want exactly one: %+v", c.typ, c.msg, len(p), p)
		}
	}
	if p := hook.posts("alert.opened", "notified once"); len(p) == 1 && p[0].Alert.ID != testID {
		t.Errorf("the test alert's POST names alert %d, want %d", p[0].Alert.ID, testID)
	}
	hook.mu.Lock()
	for k, n := range hook.keys {
		if n != 1 {
			t.Errorf("idempotency key %s POSTed %d times", k, n)
		}
	}
	hook.mu.Unlock()

	// The self-monitor on the writer: its clock jumps, and the log says so
	// on every node. On the other node, its own jump is told to its own
	// screens only (unpersisted, naming the node).
	var other *clusterNode
	for _, n := range survivors {
		if n != next {
			other = n
		}
	}
	ws := dialWS(t, other.base)
	if err := os.WriteFile(filepath.Join(filepath.Dir(next.cmd.Args[len(next.cmd.Args)-1]), "clock-offset"), []byte("5m"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "syncmon/clock of the writer in "+other.name+"'s log", func() (bool, string) {
		o := alertEvents(wholeLog(t, other), "alert.opened", "syncmon", "clock", "syncmon")
		return len(o) == 1, fmt.Sprint(o)
	})
	if err := os.WriteFile(filepath.Join(filepath.Dir(other.cmd.Args[len(other.cmd.Args)-1]), "clock-offset"), []byte("5m"), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		w := readRaw(t, ws, time.Until(deadline))
		if w.Type == "alert.opened" && w.Unpersisted && w.Seq == 0 && w.Alert != nil && w.Alert.Group == "clock" &&
			w.Alert.Rule == "syncmon" && strings.Contains(w.Alert.Message, other.name) {
			break
		}
	}
	if o := alertEvents(wholeLog(t, other), "alert.opened", "syncmon", "clock", "syncmon"); len(o) != 1 {
		t.Fatalf("%s's own clock jump went into the log: %+v", other.name, o)
	}
}
