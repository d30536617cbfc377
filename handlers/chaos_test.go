package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/store"
)

// The delivery contract, checked the same way on every transport: hello,
// replay after since, live events, heartbeat cadence, reset, resume after a
// cut, and resume after a server restart on the same database. Then the
// chaos test: many clients on all three, random disconnects, every seq
// exactly once and in order.

var errTimeout = errors.New("timed out")

// seqOf reads an event's seq from the front of its JSON, where the store
// puts it ({"seq":N,...}); 0 for ephemeral messages. Decoding 400 000
// events in full would dominate the chaos test.
func seqOf(raw []byte) int64 {
	const p = `{"seq":`
	if !bytes.HasPrefix(raw, []byte(p)) {
		return 0
	}
	rest := raw[len(p):]
	i := bytes.IndexByte(rest, ',')
	if i < 0 {
		return 0
	}
	n, _ := strconv.ParseInt(string(rest[:i]), 10, 64)
	return n
}

// client is one transport's connection, seen as a stream of messages.
type client interface {
	recv(within time.Duration) (wire, error)
	close() // a cut: the connection is dropped, not politely ended
}

type wsClient struct{ c *websocket.Conn }

func (w *wsClient) recv(within time.Duration) (wire, error) {
	w.c.SetReadDeadline(time.Now().Add(within))
	_, data, err := w.c.ReadMessage()
	if err != nil {
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			return wire{}, errTimeout
		}
		return wire{}, err
	}
	var m wire
	if err := json.Unmarshal(data, &m); err != nil {
		return wire{}, fmt.Errorf("decode %s: %w", data, err)
	}
	return m, nil
}

func (w *wsClient) close() { w.c.UnderlyingConn().Close() }

type transport struct {
	name string
	dial func(base string, since int64, ping time.Duration) (client, error)
}

var transports = []transport{
	{"ws", func(base string, since int64, _ time.Duration) (client, error) {
		q := ""
		if since >= 0 {
			q = "?since=" + strconv.FormatInt(since, 10)
		}
		c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws"+q, nil)
		if err != nil {
			return nil, err
		}
		return &wsClient{c}, nil
	}},
	{"sse", func(base string, since int64, _ time.Duration) (client, error) {
		return dialSSE(base, since, nil)
	}},
	{"poll", func(base string, since int64, ping time.Duration) (client, error) {
		// Held as long as a heartbeat interval, as the page does.
		return dialPoll(base, since, ping), nil
	}},
}

// liveServer is a SyncMon HTTP surface on 127.0.0.1 over a database file
// that outlives it: stop and start again to test a restart.
type liveServer struct {
	URL  string
	St   *store.Store
	path string
	opt  handlers.Options
	srv  *handlers.Server
	hs   *httptest.Server
}

func startLive(tb testing.TB, path string, opt handlers.Options) *liveServer {
	tb.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	o := opt
	o.Store = st
	o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	o.Version = "test"
	o.AnonymousViewer = true
	srv, err := handlers.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	l := &liveServer{St: st, path: path, opt: opt, srv: srv, hs: httptest.NewServer(srv)}
	l.URL = l.hs.URL
	tb.Cleanup(l.stop)
	return l
}

// stop ends the server as serve does: screens told, HTTP closed, store closed.
func (l *liveServer) stop() {
	if l.srv == nil {
		return
	}
	l.srv.Close()
	l.hs.Close()
	l.St.Close()
	l.srv = nil
}

func pingOpt(d time.Duration) handlers.Options { return handlers.Options{PingInterval: d} }

// expectSeqs reads until it has the events want, in order, skipping pings.
func expectSeqs(t *testing.T, c client, want ...int64) {
	t.Helper()
	for _, seq := range want {
		for {
			m, err := c.recv(10 * time.Second)
			if err != nil {
				t.Fatalf("waiting for seq %d: %v", seq, err)
			}
			if m.Type == "ping" {
				continue
			}
			if m.Seq != seq {
				t.Fatalf("got %+v, want seq %d", m, seq)
			}
			break
		}
	}
}

func forEachTransport(t *testing.T, fn func(t *testing.T, tr transport)) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			fn(t, tr)
		})
	}
}

func TestTransportsHelloReplayLive(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr transport) {
		l := startLive(t, filepath.Join(t.TempDir(), "t.db"), handlers.Options{})
		for range 5 {
			testAlert(t, l.St, "old")
		}
		c, err := tr.dial(l.URL, 2, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		hello, err := c.recv(5 * time.Second)
		if err != nil || hello.Type != "hello" || hello.Head != 5 || hello.Transport != tr.name || hello.Version != "test" {
			t.Fatalf("first message = %+v (%v), want hello: head 5, %s, test", hello, err, tr.name)
		}
		expectSeqs(t, c, 3, 4, 5)
		testAlert(t, l.St, "live")
		expectSeqs(t, c, 6)
	})
}

func TestTransportsWithoutSinceOnlyLive(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr transport) {
		l := startLive(t, filepath.Join(t.TempDir(), "t.db"), handlers.Options{})
		testAlert(t, l.St, "old")
		c, err := tr.dial(l.URL, -1, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		if h, err := c.recv(5 * time.Second); err != nil || h.Type != "hello" || h.Head != 1 {
			t.Fatalf("hello = %+v, %v", h, err)
		}
		testAlert(t, l.St, "new")
		expectSeqs(t, c, 2)
	})
}

// Heartbeats come every PingInterval, not faster, and carry the head.
func TestTransportsHeartbeatCadence(t *testing.T) {
	const every = 150 * time.Millisecond
	forEachTransport(t, func(t *testing.T, tr transport) {
		l := startLive(t, filepath.Join(t.TempDir(), "t.db"), pingOpt(every))
		testAlert(t, l.St, "x")
		c, err := tr.dial(l.URL, 1, every)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		if h, _ := c.recv(5 * time.Second); h.Type != "hello" {
			t.Fatalf("first = %+v, want hello", h)
		}
		var at []time.Time
		for len(at) < 5 {
			m, err := c.recv(5 * time.Second)
			if err != nil {
				t.Fatalf("after %d pings: %v", len(at), err)
			}
			if m.Type != "ping" || m.Head != 1 {
				t.Fatalf("got %+v, want ping with head 1", m)
			}
			at = append(at, time.Now())
		}
		// Four intervals: not much shorter than 4×every (no bursts), and
		// not so long that a watchdog of 2–3 intervals would fire.
		if span := at[4].Sub(at[0]); span < 3*every || span > 4*every+2*time.Second {
			t.Fatalf("5 pings over %v, want about %v", span, 4*every)
		}
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap > 2*every+time.Second {
				t.Fatalf("ping %d came %v after the one before (interval %v)", i, gap, every)
			}
		}
	})
}

// A since the log does not hold gets reset with the head, then live events
// from there: ahead of the head (a client of a database that was restored
// from an older copy), or older than what is retained (pruned away).
func TestTransportsResetWhenSinceOutsideLog(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr transport) {
		path := filepath.Join(t.TempDir(), "t.db")
		// Three events, then a prune two days later takes them all: the
		// log is empty and its head stays 3.
		st, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			testAlert(t, st, "x")
		}
		st.Close()
		later, err := store.Open(context.Background(), path, store.WithClock(func() time.Time { return time.Now().Add(48 * time.Hour) }))
		if err != nil {
			t.Fatal(err)
		}
		if n, err := later.Prune(context.Background(), store.Retention{Events: 24 * time.Hour}); err != nil || n != 3 {
			t.Fatalf("prune: %d events, %v; want all 3", n, err)
		}
		later.Close()

		l := startLive(t, path, handlers.Options{})
		for _, tc := range []struct {
			name  string
			since int64
			reset bool
		}{
			{"ahead of the head", 99, true},
			{"older than the retained log", 1, true},
			{"at the head", 3, false},
		} {
			c, err := tr.dial(l.URL, tc.since, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			hello, err := c.recv(5 * time.Second)
			if err != nil || hello.Type != "hello" || hello.Head != 3 {
				t.Fatalf("%s: first message %+v (%v), want hello with head 3", tc.name, hello, err)
			}
			m, err := c.recv(time.Second)
			switch {
			case tc.reset && (err != nil || m.Type != "reset" || m.Head != 3):
				t.Fatalf("%s: got %+v (%v), want reset with head 3", tc.name, m, err)
			case !tc.reset && m.Type == "reset":
				t.Fatalf("%s: reset, but since is the head", tc.name)
			}
			c.close()
		}
		c, err := tr.dial(l.URL, 99, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		c.recv(5 * time.Second) // hello
		c.recv(5 * time.Second) // reset
		testAlert(t, l.St, "after")
		expectSeqs(t, c, 4)
	})
}

// The client drops its connection; what was committed meanwhile comes on
// reconnecting with since = the last seq it had, once, then live ones.
func TestTransportsResumeAfterClientCut(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr transport) {
		l := startLive(t, filepath.Join(t.TempDir(), "t.db"), handlers.Options{})
		c, err := tr.dial(l.URL, 0, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.recv(5 * time.Second) // hello
		testAlert(t, l.St, "a")
		testAlert(t, l.St, "b")
		expectSeqs(t, c, 1, 2)
		c.close()
		testAlert(t, l.St, "missed 1")
		testAlert(t, l.St, "missed 2")
		c, err = tr.dial(l.URL, 2, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		if h, _ := c.recv(5 * time.Second); h.Type != "hello" || h.Head != 4 {
			t.Fatalf("hello = %+v, want head 4", h)
		}
		expectSeqs(t, c, 3, 4)
		testAlert(t, l.St, "live")
		expectSeqs(t, c, 5)
	})
}

// The server stops (its screens see their connection end), events are
// committed while it is down, and it starts again on the same database: a
// client resuming from its last seq gets exactly what it missed, then live
// events whose seq carries on from the log (never reused).
func TestTransportsResumeAfterServerRestart(t *testing.T) {
	forEachTransport(t, func(t *testing.T, tr transport) {
		path := filepath.Join(t.TempDir(), "restart.db")
		l := startLive(t, path, handlers.Options{})
		c, err := tr.dial(l.URL, 0, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.recv(5 * time.Second) // hello
		testAlert(t, l.St, "a")
		testAlert(t, l.St, "b")
		expectSeqs(t, c, 1, 2)
		l.stop()
		// The connection ends (poll: the next poll fails) rather than idling.
		for {
			m, err := c.recv(10 * time.Second)
			if errors.Is(err, errTimeout) {
				t.Fatal("the connection outlived the server by 10 s")
			}
			if err != nil {
				break
			}
			if m.Seq != 0 {
				t.Fatalf("event %+v after stop", m)
			}
		}
		c.close()

		down, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		testAlert(t, down, "while down 1")
		testAlert(t, down, "while down 2")
		down.Close()

		l2 := startLive(t, path, handlers.Options{})
		c, err = tr.dial(l2.URL, 2, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		if h, _ := c.recv(5 * time.Second); h.Type != "hello" || h.Head != 4 {
			t.Fatalf("hello after restart = %+v, want head 4", h)
		}
		expectSeqs(t, c, 3, 4)
		if seq := testAlert(t, l2.St, "after restart"); seq != 5 {
			t.Fatalf("first seq after restart = %d, want 5", seq)
		}
		expectSeqs(t, c, 5)

		// A client that has seen more than this database holds (it was
		// restored from an older copy) is told to reset, not left silent.
		r, err := tr.dial(l2.URL, 9, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer r.close()
		for {
			m, err := r.recv(5 * time.Second)
			if err != nil {
				t.Fatalf("no reset for since 9 > head 5: %v", err)
			}
			if m.Type == "reset" {
				break
			}
		}
	})
}

// Chaos: 200 clients spread over the three transports, 2000 events, and
// every client cutting its own connection at random moments (mid-replay,
// mid-stream, mid-poll) and resuming from the last seq it has. Every
// client must end with every seq exactly once, in order.
func TestChaosEveryClientGetsEverySeqOnce(t *testing.T) {
	const (
		clients = 200
		events  = 2000
	)
	l := startLive(t, filepath.Join(t.TempDir(), "chaos.db"), pingOpt(time.Second))
	// Bounded by progress, not by wall time: with -race on two cores shared
	// with other builds and browser tests the run takes from tens of seconds
	// to several minutes (the connections' lives are wall time, so a starved
	// process spends more of its share on churn). It fails when neither the
	// head nor any client moves for stall, or at the outer bound, which
	// leaves the package's other tests room within go test's 10 minutes.
	// Speed is measured in loadtest/ and docs/PERFORMANCE.md.
	const (
		stall = 60 * time.Second
		outer = 7 * time.Minute
	)
	ctx, cancel := context.WithTimeout(context.Background(), outer)
	defer cancel()
	start := time.Now()
	var progress atomic.Int64 // events written plus events taken by clients
	stalled := make(chan string, 1)
	go watchProgress(ctx, cancel, &progress, stall, stalled)

	var (
		wg          sync.WaitGroup
		cuts        atomic.Int64
		mu          sync.Mutex
		failures    []string
		unfinished  = map[int]int64{}
		connections atomic.Int64
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	for i := range clients {
		kind := transports[i%3].name
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			cl := chaosClient{base: l.URL, rng: rng, progress: &progress, fail: func(f string, a ...any) { fail("client %d (%s): "+f, append([]any{i, kind}, a...)...) }}
			for cl.last < events && ctx.Err() == nil && !cl.failed {
				connections.Add(1)
				// Each connection lives 5–250 ms or until a random number of
				// events arrived, then is cut; a few live longer.
				life := time.Duration(5+rng.IntN(245)) * time.Millisecond
				if rng.IntN(10) == 0 {
					life = time.Second
				}
				maxEvents := 1 + rng.IntN(400)
				var err error
				switch kind {
				case "ws":
					err = cl.ws(ctx, life, maxEvents)
				case "sse":
					err = cl.sse(ctx, life, maxEvents)
				case "poll":
					err = cl.poll(ctx, life, maxEvents)
				}
				if err != nil && ctx.Err() == nil && !cl.failed {
					// Refused or broken connections are part of chaos; keep going.
					_ = err
				}
				cuts.Add(1)
			}
			if cl.last != events {
				mu.Lock()
				unfinished[i] = cl.last
				mu.Unlock()
			}
		}()
	}
	// A producer's pace: 50 events every 20 ms at most (2500/s), so that
	// clients connect, replay and cut while events keep coming.
	pace := time.NewTicker(20 * time.Millisecond)
	defer pace.Stop()
	for n := range events {
		if _, _, err := l.St.CreateTestAlert(ctx, store.Actor{Name: "chaos"}, "c"); err != nil {
			wg.Wait()
			t.Fatalf("event %d: %v (%s)", n+1, err, stallReason(stalled))
		}
		progress.Add(1)
		if n%50 == 49 {
			<-pace.C
		}
	}
	wg.Wait()
	for _, f := range failures[:min(len(failures), 10)] {
		t.Error(f)
	}
	if len(unfinished) > 0 {
		t.Errorf("%d clients did not reach seq %d (%s): %v", len(unfinished), events, stallReason(stalled), unfinished)
	}
	subs, dropped := l.St.FeedStats()
	t.Logf("%v: %d connections, %d cuts, %d subscriptions dropped for lagging, %d left", time.Since(start).Round(time.Second), connections.Load(), cuts.Load(), dropped, subs)
}

// watchProgress cancels the chaos test's ctx, saying why on stalled, when
// progress has not moved for stall.
func watchProgress(ctx context.Context, cancel func(), progress *atomic.Int64, stall time.Duration, stalled chan<- string) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last, since := progress.Load(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if p := progress.Load(); p != last {
				last, since = p, now
			} else if now.Sub(since) >= stall {
				stalled <- fmt.Sprintf("no progress for %v at %d events written and taken", stall, p)
				cancel()
				return
			}
		}
	}
}

// stallReason says why the chaos test's ctx ended: no progress, or the
// outer bound reached while still progressing.
func stallReason(stalled <-chan string) string {
	select {
	case r := <-stalled:
		return r
	default:
		return "the outer bound reached while still progressing: the machine is too loaded"
	}
}

// chaosClient is one client of the chaos test: it keeps the last seq it has
// and checks that every event it is given is exactly the next one.
type chaosClient struct {
	base     string
	rng      *rand.Rand
	last     int64
	failed   bool
	fail     func(string, ...any)
	progress *atomic.Int64 // shared by all clients and the producer
}

func (c *chaosClient) take(seq int64) bool {
	if seq != c.last+1 {
		c.failed = true
		c.fail("seq %d after %d", seq, c.last)
		return false
	}
	c.last = seq
	c.progress.Add(1)
	return true
}

func (c *chaosClient) ws(ctx context.Context, life time.Duration, maxEvents int) error {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.DialContext(ctx, "ws"+strings.TrimPrefix(c.base, "http")+"/ws?since="+strconv.FormatInt(c.last, 10), nil)
	if err != nil {
		return err
	}
	defer conn.UnderlyingConn().Close() // a cut, not a close handshake
	conn.SetReadDeadline(time.Now().Add(life))
	for n := 0; n < maxEvents; {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		if seq := seqOf(data); seq > 0 {
			if !c.take(seq) {
				return nil
			}
			n++
		}
	}
	return nil
}

func (c *chaosClient) sse(ctx context.Context, life time.Duration, maxEvents int) error {
	rctx, cancel := context.WithTimeout(ctx, life)
	defer cancel()
	u := c.base + "/events"
	req, _ := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	// Half resume as EventSource does after a drop (Last-Event-ID, with an
	// older since in the URL), half with since alone.
	if c.rng.IntN(2) == 0 {
		req.URL.RawQuery = "since=" + strconv.FormatInt(c.last/2, 10)
		req.Header.Set("Last-Event-ID", strconv.FormatInt(c.last, 10))
	} else {
		req.URL.RawQuery = "since=" + strconv.FormatInt(c.last, 10)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sse: %s", resp.Status)
	}
	br := bufio.NewReader(resp.Body)
	var id int64
	var data bool
	for n := 0; n < maxEvents; {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err // includes the cut at life
		}
		switch {
		case len(line) == 1: // end of an event
			if id > 0 {
				if !data {
					c.failed = true
					c.fail("event id %d without data", id)
					return nil
				}
				if !c.take(id) {
					return nil
				}
				n++
			}
			id, data = 0, false
		case bytes.HasPrefix(line, []byte("id: ")):
			id, _ = strconv.ParseInt(string(bytes.TrimSpace(line[4:])), 10, 64)
		case bytes.HasPrefix(line, []byte("data: ")):
			if seq := seqOf(bytes.TrimSpace(line[6:])); seq != id {
				c.failed = true
				c.fail("data of seq %d under id %d", seq, id)
				return nil
			}
			data = true
		}
	}
	return nil
}

func (c *chaosClient) poll(ctx context.Context, life time.Duration, maxEvents int) error {
	end := time.Now().Add(life)
	for n := 0; n < maxEvents && time.Now().Before(end); {
		// The cut may land mid-poll: the answer is lost, and nothing must
		// be lost with it.
		rctx, cancel := context.WithDeadline(ctx, end)
		a, _, err := poll(rctx, c.base, c.last, time.Second)
		cancel()
		if err != nil {
			return err
		}
		for _, raw := range a.Events {
			if !c.take(seqOf(raw)) {
				return nil
			}
			n++
		}
		if a.Head < c.last {
			c.failed = true
			c.fail("answer head %d behind its own events (%d)", a.Head, c.last)
			return nil
		}
	}
	return nil
}
