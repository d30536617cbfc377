package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/notify"
	"github.com/syncmon/syncmon/store"

	"github.com/syncmon/syncmon/internal/testutil"
)

// clock runs with real time (waits between attempts are real timers) and
// can be pushed forward to age events past max_age.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// hook is a webhook endpoint that records every request and answers with
// the status set in it.
type hook struct {
	srv    *httptest.Server
	status atomic.Int32

	mu   sync.Mutex
	reqs []request
}

type request struct {
	key    string // the Idempotency-Key header
	status int    // what the hook answered
	body   []byte
}

func newHook(t testing.TB, status int) *hook {
	t.Helper()
	h := &hook{}
	h.status.Store(int32(status))
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		st := int(h.status.Load())
		h.mu.Lock()
		h.reqs = append(h.reqs, request{key: r.Header.Get("Idempotency-Key"), status: st, body: body})
		h.mu.Unlock()
		w.WriteHeader(st)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) requests() []request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]request(nil), h.reqs...)
}

// delivered returns the keys answered 2xx, in the order they arrived.
func (h *hook) delivered() []string {
	var out []string
	for _, r := range h.requests() {
		if r.status < 300 {
			out = append(out, r.key)
		}
	}
	return out
}

func openStore(t testing.TB, path string, clk *clock) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), path, store.WithClock(clk.Now))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func channel(name, kind, url string) config.Notification {
	n := config.NotificationDefaults()
	n.Name, n.Kind, n.URL, n.IncludeTest = name, kind, monitor.Secret(url), true
	return n
}

// start runs a notifier with short backoffs; it is stopped at cleanup.
func start(t testing.TB, st notify.Store, clk *clock, logs io.Writer, chans ...config.Notification) *notify.Notifier {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	n := notify.New(st, chans, notify.Options{
		Log:        slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		PublicURL:  "https://syncmon.example/",
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Poll: 50 * time.Millisecond,
		Now: clk.Now,
	})
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return n
}

// testAlerts opens n test alerts and returns the seq of each event.
func testAlerts(t testing.TB, st *store.Store, n int) []int64 {
	t.Helper()
	var seqs []int64
	for i := range n {
		_, seq, err := st.CreateTestAlert(context.Background(), store.Actor{Name: "admin"}, fmt.Sprintf("drill %d", i))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	return seqs
}

func keys(channel string, seqs []int64) []string {
	out := make([]string, len(seqs))
	for i, s := range seqs {
		out[i] = notify.IdempotencyKey(s, channel)
	}
	return out
}

// checkAtLeastOnce asserts that every key in want was delivered, first
// deliveries in order, and that nothing else was: repeats carry a key of want.
func checkAtLeastOnce(t testing.TB, reqs []request, want []string) {
	t.Helper()
	wanted := map[string]bool{}
	for _, k := range want {
		wanted[k] = true
	}
	var first []string
	seen := map[string]bool{}
	for _, r := range reqs {
		if !wanted[r.key] {
			t.Errorf("request with key %q, want only %v", r.key, want)
		}
		if r.status < 300 && !seen[r.key] {
			seen[r.key] = true
			first = append(first, r.key)
		}
	}
	if strings.Join(first, " ") != strings.Join(want, " ") {
		t.Errorf("first deliveries = %v, want %v (each event, in seq order)", first, want)
	}
}

func TestDeliversEventsToWebhookWithIdempotencyKey(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	h := newHook(t, http.StatusNoContent)
	start(t, st, clk, nil, channel("hook", config.NotifyWebhook, h.srv.URL+"/in"))
	seqs := testAlerts(t, st, 3)
	want := keys("hook", seqs)
	testutil.Eventually(t, 5*time.Second, "3 deliveries", func() bool { return len(h.delivered()) >= 3 })
	checkAtLeastOnce(t, h.requests(), want)

	var body struct {
		Seq     int64          `json:"seq"`
		Type    string         `json:"type"`
		At      string         `json:"at"`
		Alert   *monitor.Alert `json:"alert"`
		Key     string         `json:"idempotency_key"`
		Channel string         `json:"channel"`
		Link    string         `json:"link"`
	}
	r := h.requests()[0]
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	if body.Seq != seqs[0] || body.Type != monitor.AlertOpened || body.Alert == nil || body.Alert.Message != "drill 0" ||
		body.Key != want[0] || body.Channel != "hook" || body.At == "" {
		t.Fatalf("webhook body = %s", r.body)
	}
	if wantLink := fmt.Sprintf("https://syncmon.example/alerts/%d", body.Alert.ID); body.Link != wantLink {
		t.Fatalf("link = %q, want %q", body.Link, wantLink)
	}
	// The body is the event as on the wire, with the key added.
	wire, err := st.EventsAfter(context.Background(), seqs[0]-1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if prefix := bytes.TrimSuffix(wire[0].JSON(), []byte("}")); !bytes.HasPrefix(r.body, prefix) {
		t.Fatalf("body %s\ndoes not start with the wire event %s", r.body, wire[0].JSON())
	}
}

func TestRetriesThroughFailuresAndARestart(t *testing.T) {
	clk := &clock{}
	path := filepath.Join(t.TempDir(), "n.db")
	st, err := store.Open(context.Background(), path, store.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	h := newHook(t, http.StatusInternalServerError)
	ch := channel("hook", config.NotifyWebhook, h.srv.URL)
	n := notify.New(st, []config.Notification{ch}, notify.Options{
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Poll: 50 * time.Millisecond, Now: clk.Now})
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	seqs := testAlerts(t, st, 3)
	want := keys("hook", seqs)

	// Retrying the first event while the endpoint fails: never the second.
	testutil.Eventually(t, 5*time.Second, "a retry recorded in the store", func() bool {
		d, err := st.NotifyPending(context.Background(), "hook", seqs[0])
		return err == nil && d.Attempts >= 2
	})
	for _, r := range h.requests() {
		if r.key != want[0] {
			t.Fatalf("request for %q while %q is failing: events must go in seq order", r.key, want[0])
		}
	}

	// Stop and close mid-retry; the endpoint recovers while SyncMon is down.
	n.Stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	before := len(h.requests())
	h.status.Store(http.StatusOK)

	st = openStore(t, path, clk)
	d, err := st.NotifyPending(context.Background(), "hook", seqs[0])
	if err != nil || d.Attempts < 2 || !strings.Contains(d.LastError, "HTTP 500") {
		t.Fatalf("attempts after reopen = %+v, %v; want the failures recorded", d, err)
	}
	start(t, st, clk, nil, ch)
	testutil.Eventually(t, 5*time.Second, "every event delivered after the restart", func() bool { return len(h.delivered()) >= len(seqs) })

	reqs := h.requests()
	checkAtLeastOnce(t, reqs, want)
	if got := len(reqs) - before; got != len(seqs) {
		t.Errorf("requests after the restart = %d, want %d (one per event)", got, len(seqs))
	}
	if fs, err := st.NotifyFailures(context.Background(), 10); err != nil || len(fs) != 0 {
		t.Errorf("failures = %+v, %v; want none", fs, err)
	}
	testutil.Eventually(t, 5*time.Second, "the cursor at the last event", func() bool {
		cur, err := st.NotifyCursor(context.Background(), "hook")
		return err == nil && cur == seqs[len(seqs)-1]
	})
	if _, err := st.NotifyPending(context.Background(), "hook", seqs[0]); err == nil {
		t.Error("attempts of a delivered event are still pending")
	}
}

func TestGivesUpAfterMaxAgeVisibly(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	h := newHook(t, http.StatusServiceUnavailable)
	ch := channel("hook", config.NotifyWebhook, h.srv.URL)
	ch.MaxAge = time.Hour
	var logs testutil.Buffer
	n := start(t, st, clk, &logs, ch)
	seqs := testAlerts(t, st, 1)

	testutil.Eventually(t, 5*time.Second, "a failed attempt", func() bool {
		d, err := st.NotifyPending(context.Background(), "hook", seqs[0])
		return err == nil && d.Attempts >= 1
	})
	clk.Advance(2 * time.Hour)
	var fs []store.NotifyDelivery
	testutil.Eventually(t, 5*time.Second, "the failure listed", func() bool {
		fs, _ = st.NotifyFailures(context.Background(), 10)
		return len(fs) == 1
	})
	f := fs[0]
	if f.Channel != "hook" || f.Seq != seqs[0] || f.EventType != monitor.AlertOpened || f.Attempts < 1 || f.GaveUpAt == nil ||
		!strings.Contains(f.LastError, "max_age") || !strings.Contains(f.LastError, "HTTP 503") {
		t.Fatalf("failure = %+v", f)
	}
	if !strings.Contains(logs.String(), "level=ERROR msg=\"notification given up\"") {
		t.Fatalf("no error-level log of the give-up:\n%s", logs.String())
	}
	if s := n.Stats(); len(s) != 1 || s[0].GaveUp != 1 || s[0].Delivered != 0 {
		t.Fatalf("stats = %+v", s)
	}

	// The channel moves on: the next event is delivered once the endpoint is back.
	h.status.Store(http.StatusOK)
	next := testAlerts(t, st, 1)
	testutil.Eventually(t, 5*time.Second, "the next event delivered", func() bool { return len(h.delivered()) == 1 })
	if got, want := h.delivered()[0], notify.IdempotencyKey(next[0], "hook"); got != want {
		t.Fatalf("delivered %q, want %q", got, want)
	}
}

func TestPermanentClientErrorIsNotRetried(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	h := newHook(t, http.StatusNotFound)
	start(t, st, clk, nil, channel("hook", config.NotifyWebhook, h.srv.URL))
	seqs := testAlerts(t, st, 2)
	testutil.Eventually(t, 5*time.Second, "both events given up", func() bool {
		fs, _ := st.NotifyFailures(context.Background(), 10)
		return len(fs) == 2
	})
	reqs := h.requests()
	if len(reqs) != 2 {
		t.Fatalf("requests = %d, want 2 (one attempt per event)", len(reqs))
	}
	for i, r := range reqs {
		if r.key != notify.IdempotencyKey(seqs[i], "hook") {
			t.Fatalf("request %d key %q", i, r.key)
		}
	}
	fs, _ := st.NotifyFailures(context.Background(), 10)
	for _, f := range fs {
		if f.Attempts != 1 || !strings.Contains(f.LastError, "HTTP 404") {
			t.Fatalf("failure = %+v", f)
		}
	}
}

func TestTooManyRequestsIsRetried(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	h := newHook(t, http.StatusTooManyRequests)
	start(t, st, clk, nil, channel("hook", config.NotifyWebhook, h.srv.URL))
	seqs := testAlerts(t, st, 1)
	testutil.Eventually(t, 5*time.Second, "two throttled attempts", func() bool { return len(h.requests()) >= 2 })
	h.status.Store(http.StatusOK)
	testutil.Eventually(t, 5*time.Second, "delivery", func() bool { return len(h.delivered()) == 1 })
	checkAtLeastOnce(t, h.requests(), keys("hook", seqs))
	if fs, _ := st.NotifyFailures(context.Background(), 10); len(fs) != 0 {
		t.Fatalf("failures = %+v, want none", fs)
	}
}

func TestStuckChannelDoesNotBlockOthers(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	down := newHook(t, http.StatusBadGateway)
	up := newHook(t, http.StatusOK)
	start(t, st, clk, nil, channel("down", config.NotifyWebhook, down.srv.URL), channel("up", config.NotifyWebhook, up.srv.URL))
	seqs := testAlerts(t, st, 3)
	testutil.Eventually(t, 5*time.Second, "the healthy channel delivers everything", func() bool { return len(up.delivered()) == 3 })
	checkAtLeastOnce(t, up.requests(), keys("up", seqs))
	for _, r := range down.requests() {
		if r.key != notify.IdempotencyKey(seqs[0], "down") {
			t.Fatalf("failing channel moved past its first event: %q", r.key)
		}
	}
}

func TestConnectionRefusedIsRetriedAndSecretsStayOut(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	// A closed server: connection refused, the error quotes no URL of ours.
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL + "/services/T0001/B0001/SECRETTOKEN1?sig=SECRETSIG1"
	gone.Close()
	// A failing server that echoes the path in its error body.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such hook "+r.URL.String(), http.StatusBadGateway)
	}))
	t.Cleanup(echo.Close)
	echoURL := echo.URL + "/services/T0002/B0002/SECRETTOKEN2?sig=SECRETSIG2"

	var logs testutil.Buffer
	start(t, st, clk, &logs, channel("refused", config.NotifySlack, goneURL), channel("echo", config.NotifyTeams, echoURL))
	seqs := testAlerts(t, st, 1)
	var pending []store.NotifyDelivery
	testutil.Eventually(t, 5*time.Second, "both channels retrying", func() bool {
		pending = pending[:0]
		for _, name := range []string{"refused", "echo"} {
			if d, err := st.NotifyPending(context.Background(), name, seqs[0]); err == nil && d.Attempts >= 2 {
				pending = append(pending, d)
			}
		}
		return len(pending) == 2
	})
	out := logs.String()
	for _, secret := range []string{"SECRETTOKEN", "SECRETSIG", "T0001", "T0002", "/services/"} {
		if strings.Contains(out, secret) {
			t.Fatalf("logs hold %q:\n%s", secret, out)
		}
		for _, d := range pending {
			if strings.Contains(d.LastError, secret) {
				t.Fatalf("stored error holds %q: %s", secret, d.LastError)
			}
		}
	}
	for _, srv := range []string{gone.URL, echo.URL} {
		host := strings.TrimPrefix(srv, "http://")
		if !strings.Contains(out, "host="+host) {
			t.Errorf("logs do not name the host %s:\n%s", host, out)
		}
	}
	if !strings.Contains(out, "level=WARN") || !strings.Contains(pending[0].LastError+pending[1].LastError, "HTTP 502") {
		t.Errorf("retries not visible: %+v\n%s", pending, out)
	}
}

func TestSlackAndTeamsPayloads(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	slack := newHook(t, http.StatusOK)
	teams := newHook(t, http.StatusAccepted)
	start(t, st, clk, nil, channel("slack", config.NotifySlack, slack.srv.URL), channel("teams", config.NotifyTeams, teams.srv.URL))
	a, _, err := st.CreateTestAlert(context.Background(), store.Actor{Name: "admin"}, "")
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, "both delivered", func() bool { return len(slack.delivered()) == 1 && len(teams.delivered()) == 1 })
	link := fmt.Sprintf("https://syncmon.example/alerts/%d", a.ID)

	var s map[string]any
	if err := json.Unmarshal(slack.requests()[0].body, &s); err != nil {
		t.Fatal(err)
	}
	text, _ := s["text"].(string)
	if len(s) != 1 || text == "" {
		t.Fatalf("slack body = %v, want {\"text\": …}", s)
	}
	for _, want := range []string{"[CRITICAL] opened", "[심각] 발생", a.Message, a.Speech.Ko, "<" + link + "|"} {
		if !strings.Contains(text, want) {
			t.Errorf("slack text %q does not contain %q", text, want)
		}
	}

	var m struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     struct {
				Type    string `json:"type"`
				Version string `json:"version"`
				Body    []struct {
					Type string `json:"type"`
					Text string `json:"text"`
				} `json:"body"`
				Actions []struct {
					Type string `json:"type"`
					URL  string `json:"url"`
				} `json:"actions"`
			} `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(teams.requests()[0].body, &m); err != nil {
		t.Fatal(err)
	}
	if m.Type != "message" || len(m.Attachments) != 1 || m.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("teams envelope = %s", teams.requests()[0].body)
	}
	card := m.Attachments[0].Content
	if card.Type != "AdaptiveCard" || card.Version == "" || len(card.Actions) != 1 || card.Actions[0].Type != "Action.OpenUrl" || card.Actions[0].URL != link {
		t.Fatalf("teams card = %+v", card)
	}
	var texts []string
	for _, b := range card.Body {
		texts = append(texts, b.Text)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"[CRITICAL] opened", a.Message, a.Speech.Ko} {
		if !strings.Contains(all, want) {
			t.Errorf("teams card text %q does not contain %q", all, want)
		}
	}
}

// Real alerts: the route picks by severity and target, tells an escalation
// and a resolution only where the alert was told, and skips test alerts.
func TestRouteBySeverityAndTarget(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	all, crit, west := newHook(t, http.StatusOK), newHook(t, http.StatusOK), newHook(t, http.StatusOK)
	chAll := channel("all", config.NotifyWebhook, all.srv.URL)
	chAll.IncludeTest = false
	chCrit := channel("crit", config.NotifyWebhook, crit.srv.URL)
	chCrit.MinSeverity, chCrit.IncludeTest = monitor.SeverityCritical, false
	chWest := channel("west", config.NotifyWebhook, west.srv.URL)
	chWest.Targets = []string{"west"}
	start(t, st, clk, nil, chAll, chCrit, chWest)

	tgt := monitor.Target{Name: "east", Kind: "simulator", Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	tgt.Policy.ResolveAfter = map[string]int{monitor.RuleProcessStatus: 1}
	obs := func(status string) monitor.Observation {
		return monitor.Observation{Target: "east", Kind: "simulator", ObservedAt: clk.Now(), Processes: []monitor.Process{
			{Program: "MANAGER", Status: monitor.StatusRunning},
			{Program: "REPLICAT", Group: "REP1", Status: status},
		}}
	}
	ctx := context.Background()
	for _, s := range []string{monitor.StatusRunning, monitor.StatusAbended, monitor.StatusRunning} {
		if err := st.Record(ctx, tgt, obs(s)); err != nil {
			t.Fatal(err)
		}
	}
	testAlerts(t, st, 1)
	events, err := st.EventsAfter(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var opened, resolved []int64
	for _, e := range events {
		if e.Alert != nil && !e.Alert.Test && e.Type == monitor.AlertOpened {
			opened = append(opened, e.Seq)
		}
		if e.Alert != nil && !e.Alert.Test && e.Type == monitor.AlertResolved {
			resolved = append(resolved, e.Seq)
		}
	}
	if len(opened) == 0 || len(resolved) == 0 {
		t.Fatalf("no alert opened and resolved in %d events", len(events))
	}
	head := st.Head()
	testutil.Eventually(t, 5*time.Second, "every channel through the log", func() bool {
		for _, name := range []string{"all", "crit", "west"} {
			if cur, err := st.NotifyCursor(ctx, name); err != nil || cur < head {
				return false
			}
		}
		return true
	})
	var want []int64
	want = append(append(want, opened...), resolved...)
	if got := all.delivered(); strings.Join(got, " ") != strings.Join(keys("all", want), " ") {
		t.Errorf("channel all got %v, want %v", got, keys("all", want))
	}
	if got := west.delivered(); len(got) != 1 || !strings.Contains(string(west.requests()[0].body), `"test":true`) {
		t.Errorf("channel west (another target, tests on) got %v, want only the test alert", got)
	}
	// ABENDED is critical here: the critical-only channel hears of it too.
	if got := crit.delivered(); strings.Join(got, " ") != strings.Join(keys("crit", want), " ") {
		t.Errorf("channel crit got %v, want %v", got, keys("crit", want))
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	var calls atomic.Int32
	var keysSeen sync.Map
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keysSeen.Store(r.Header.Get("Idempotency-Key"), true)
		if calls.Add(1) == 1 {
			select { // no answer in time
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first
	ch := channel("slow", config.NotifyWebhook, srv.URL)
	ch.Timeout = 50 * time.Millisecond
	var logs testutil.Buffer
	n := start(t, st, clk, &logs, ch)
	seqs := testAlerts(t, st, 1)
	testutil.Eventually(t, 5*time.Second, "delivery after a timeout", func() bool { s := n.Stats(); return s[0].Delivered == 1 })
	if s := n.Stats()[0]; calls.Load() != 2 || s.Failures != 1 {
		t.Fatalf("calls = %d, stats = %+v; want one timeout, then delivery", calls.Load(), n.Stats())
	}
	if _, ok := keysSeen.Load(notify.IdempotencyKey(seqs[0], "slow")); !ok {
		t.Fatal("the idempotency key was not sent")
	}
	if !strings.Contains(logs.String(), "no answer within 50ms") {
		t.Fatalf("timeout not logged:\n%s", logs.String())
	}
}
