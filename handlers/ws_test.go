package handlers_test

import (
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/syncmon/syncmon/handlers"
)

func TestWebSocketHelloReplayThenLive(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	for i := range 5 {
		testAlert(t, ts.Store, string(rune('a'+i)))
	}
	c, _, err := dialWS(t, ts.URL, "?since=2", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hello := readWire(t, c, 5*time.Second)
	if hello.Type != "hello" || hello.Head != 5 || hello.Transport != "ws" || hello.Version != "test" {
		t.Fatalf("first message = %+v, want hello with head 5", hello)
	}
	var got []int64
	for range 3 {
		got = append(got, readEvent(t, c, 5*time.Second).Seq)
	}
	if got[0] != 3 || got[1] != 4 || got[2] != 5 {
		t.Fatalf("replay = %v, want [3 4 5]", got)
	}
	testAlert(t, ts.Store, "live")
	live := readEvent(t, c, 5*time.Second)
	if live.Seq != 6 || live.Type != "alert.opened" || live.Alert == nil || live.Alert.Message != "live" {
		t.Fatalf("live = %+v, want seq 6 alert.opened", live)
	}
}

func TestWebSocketLongBacklogIsPacedNotDropped(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	for range 600 {
		testAlert(t, ts.Store, "x")
	}
	c, _, err := dialWS(t, ts.URL, "?since=0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if h := readWire(t, c, 5*time.Second); h.Type != "hello" {
		t.Fatalf("first = %+v, want hello", h)
	}
	for want := int64(1); want <= 600; want++ {
		if got := readEvent(t, c, 5*time.Second).Seq; got != want {
			t.Fatalf("seq %d, want %d", got, want)
		}
	}
	// Drained: melody's writer no longer looks connections up after each
	// message (the fan-out's fast path).
	for deadline := time.Now().Add(5 * time.Second); ts.srv.WSQueued() != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still counted as queued after the backlog was read", ts.srv.WSQueued())
		}
		runtime.Gosched()
	}
}

// The heartbeat is spread over its interval: each screen is pinged once
// per beat of every slot, never twice, and its ping carries the head, also
// right after an event (a page notices an event lost on the way by it).
func TestWebSocketHeartbeatOncePerScreenPerInterval(t *testing.T) {
	ts := newTestServer(t, handlers.Options{PingInterval: time.Hour}) // beats only when the test says
	var conns []*websocket.Conn
	for range 3 { // in three different slots
		c, _, err := dialWS(t, ts.URL, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if h := readWire(t, c, 5*time.Second); h.Type != "hello" {
			t.Fatalf("first = %+v, want hello", h)
		}
		conns = append(conns, c)
	}
	seq := testAlert(t, ts.Store, "one")
	for _, c := range conns {
		if e := readWire(t, c, 5*time.Second); e.Seq != seq {
			t.Fatalf("got %+v, want event %d", e, seq)
		}
	}
	ts.srv.Beat()
	next := testAlert(t, ts.Store, "two")
	for i, c := range conns {
		if p := readWire(t, c, 5*time.Second); p.Type != "ping" || p.Head != seq {
			t.Fatalf("screen %d got %+v, want one ping with head %d", i, p, seq)
		}
		if e := readWire(t, c, 5*time.Second); e.Seq != next {
			t.Fatalf("screen %d got %+v after its ping, want event %d (one ping per beat)", i, e, next)
		}
	}
}

func TestWebSocketWithoutSinceStartsAtHead(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	testAlert(t, ts.Store, "old")
	c, _, err := dialWS(t, ts.URL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if h := readWire(t, c, 5*time.Second); h.Type != "hello" || h.Head != 1 {
		t.Fatalf("hello = %+v", h)
	}
	testAlert(t, ts.Store, "new")
	if e := readEvent(t, c, 5*time.Second); e.Seq != 2 {
		t.Fatalf("first event = %+v, want seq 2 (live only)", e)
	}
}

func TestWebSocketResetWhenSinceOutsideLog(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	testAlert(t, ts.Store, "x")
	c, _, err := dialWS(t, ts.URL, "?since=99", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readWire(t, c, 5*time.Second)
	if r := readWire(t, c, 5*time.Second); r.Type != "reset" || r.Head != 1 {
		t.Fatalf("got %+v, want reset with head 1", r)
	}
}

func TestWebSocketPingCadence(t *testing.T) {
	ts := newTestServer(t, handlers.Options{PingInterval: 100 * time.Millisecond})
	c, _, err := dialWS(t, ts.URL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readWire(t, c, 5*time.Second)
	// From the first ping (its slot may fall just after hello) over four
	// intervals. One ping written late and the next on time make a single
	// gap a little short, so the test allows 10 % over the whole span: a
	// heartbeat that pings at every slot tick, or twice an interval, is
	// far below it.
	ping := func() time.Time {
		if p := readWire(t, c, 2*time.Second); p.Type != "ping" {
			t.Fatalf("got %+v, want ping", p)
		}
		return time.Now()
	}
	first := ping()
	var last time.Time
	for range 4 {
		last = ping()
	}
	if el := last.Sub(first); el < 4*90*time.Millisecond {
		t.Fatalf("5 pings in %v: faster than the 100 ms interval", el)
	}
}

// hello is the first message even when the heartbeat ticks while the
// connection is being set up (the heartbeat finds a conn on its session
// before its backlog is read and hello sent).
func TestWebSocketHelloBeforeAnyPing(t *testing.T) {
	ts := newTestServer(t, handlers.Options{PingInterval: time.Millisecond})
	for i := range 50 {
		testAlert(t, ts.Store, string(rune('a'+i%26)))
	}
	for i := range 40 {
		c, _, err := dialWS(t, ts.URL, "?since=0", nil)
		if err != nil {
			t.Fatal(err)
		}
		first := readWire(t, c, 5*time.Second)
		c.Close()
		if first.Type != "hello" {
			t.Fatalf("connection %d: first message %+v, want hello", i, first)
		}
	}
}

func TestWebSocketForeignOriginRefused(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	hdr := http.Header{"Origin": {"http://evil.example"}}
	_, resp, err := dialWS(t, ts.URL, "", hdr)
	if err == nil {
		t.Fatal("handshake from a foreign origin succeeded")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("response = %v, want 403", resp)
	}
	// Our own origin, and no origin at all (a script), are accepted.
	for _, h := range []http.Header{{"Origin": {ts.URL}}, nil} {
		c, _, err := dialWS(t, ts.URL, "", h)
		if err != nil {
			t.Fatalf("origin %v refused: %v", h, err)
		}
		c.Close()
	}
}

func TestWebSocketOversizedMessageClosesSession(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	c, _, err := dialWS(t, ts.URL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readWire(t, c, 5*time.Second)
	big := make([]byte, 64<<10)
	_ = c.WriteMessage(1, big)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			return // closed by the server, as wanted
		}
	}
}

// When the store closes (shutdown), a WebSocket whose subscription ended is
// closed, so its client reconnects and resumes instead of waiting on a line
// that will never carry another event.
func TestWebSocketClosedWhenItsSubscriptionEnds(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	c, _, err := dialWS(t, ts.URL, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readWire(t, c, 5*time.Second) // hello
	ts.Store.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				t.Fatal("the connection stayed open after its subscription ended")
			}
			return
		}
	}
}
