package handlers

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/olahol/melody"
	"github.com/syncmon/syncmon/store"
)

// WebSocket limits. melody's buffer per connection is a channel of 40-byte
// envelopes allocated for every connection (most of what an idle one costs
// us), so it is kept small; what does not fit waits in our own queue per
// connection, which costs nothing while empty. A burst of alerts or a long
// replay is then paced by what reaches the wire instead of cutting every
// screen.
const (
	wsBuffer = 20
	// wsMaxQueued is how many live messages may wait beyond melody's buffer
	// (on top of a replayed backlog); more, and the client is cut and resumes.
	wsMaxQueued  = 1024
	wsMaxInbound = 1024 // bytes: clients have nothing to say beyond a short keep-alive
	// wsSocketBuffer caps the kernel's send buffer per connection (Linux
	// doubles it). Autotuned, it grows to megabytes, which a client that
	// stopped reading fills silently for minutes; capped, its socket is
	// full after about a hundred alerts, melody's write then blocks, and
	// the write deadline closes the connection. 64 KiB still moves a
	// 10 000-event replay in seconds over a WAN.
	wsSocketBuffer = 64 << 10
	// wsHeartbeatSlots spreads the heartbeat over its interval: each
	// connection is in one slot (round robin), and one slot's connections
	// are pinged every PingInterval/wsHeartbeatSlots. Pinging every screen
	// at once was a fan-out as large as an event's, and an event that came
	// during it waited behind it.
	wsHeartbeatSlots = 10
)

func (s *Server) newMelody() *melody.Melody {
	m := melody.New()
	m.Config.MaxMessageSize = wsMaxInbound
	m.Config.MessageBufferSize = wsBuffer
	// A client that stops reading is closed either way it shows: a write
	// that cannot complete for a heartbeat interval (its socket is full),
	// or no pong for three intervals (nothing to send, line dead). Either
	// way it resumes by seq when it comes back.
	m.Config.WriteWait = s.opt.PingInterval + time.Second
	m.Config.PingPeriod = s.opt.PingInterval
	m.Config.PongWait = 3*s.opt.PingInterval + time.Second
	m.Upgrader.CheckOrigin = func(r *http.Request) bool { return s.originAllowed(r) }
	// Zero sizes: gorilla reads and writes through the 4 KiB buffers that
	// net/http already holds for the hijacked connection, instead of
	// allocating more beside them.
	m.Upgrader.ReadBufferSize = 0
	m.Upgrader.WriteBufferSize = 0
	m.HandleConnect(s.wsConnect)
	m.HandleDisconnect(s.wsDisconnect)
	m.HandleSentMessage(func(sess *melody.Session, _ []byte) {
		// Called after every message of every connection: the common case,
		// no queue anywhere, must cost no more than this load (looking the
		// connection up was 4 % of the fan-out's CPU).
		if s.ws.queued.Load() == 0 {
			return
		}
		if c, ok := wsConnOf(sess); ok {
			c.drain()
		}
	})
	m.HandlePong(func(sess *melody.Session) {
		if c, ok := wsConnOf(sess); ok {
			s.screens.touch(c.screen)
		}
	})
	m.HandleMessage(func(sess *melody.Session, _ []byte) {
		if c, ok := wsConnOf(sess); ok {
			s.screens.touch(c.screen)
		}
	})
	m.HandleError(func(sess *melody.Session, err error) {
		if !errors.Is(err, melody.ErrMessageBufferFull) {
			return
		}
		if c, ok := wsConnOf(sess); ok {
			if c.sending.Load() {
				c.full.Store(true) // our own write: the message waits in our queue
			} else {
				c.cut() // melody's close at shutdown or revocation: the client must notice anyway
			}
		}
	})
	return m
}

// wsRegistry lists the WebSocket connections by heartbeat slot and counts
// those with messages queued behind melody's buffer.
type wsRegistry struct {
	queued atomic.Int64 // connections whose queue is not empty

	mu    sync.Mutex
	next  int
	slots [wsHeartbeatSlots]map[*wsConn]struct{}
}

func (r *wsRegistry) add(c *wsConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.slot = r.next
	r.next = (r.next + 1) % wsHeartbeatSlots
	if r.slots[c.slot] == nil {
		r.slots[c.slot] = make(map[*wsConn]struct{})
	}
	r.slots[c.slot][c] = struct{}{}
}

func (r *wsRegistry) remove(c *wsConn) {
	r.mu.Lock()
	delete(r.slots[c.slot], c)
	r.mu.Unlock()
}

// slot returns the connections of slot i.
func (r *wsRegistry) slot(i int) []*wsConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*wsConn, 0, len(r.slots[i]))
	for c := range r.slots[i] {
		out = append(out, c)
	}
	return out
}

// heartbeat sends a ping with the log head to every WebSocket screen once
// per PingInterval, one slot of them at a time. Also to a screen that was
// just sent events: the head is how a page notices an event lost on the
// way (a proxy, its own fault), and skipping a beat would make that a
// whole interval slower. SSE and long-poll send their own, per request.
func (s *Server) heartbeat() {
	defer s.wg.Done()
	t := time.NewTicker(s.opt.PingInterval / wsHeartbeatSlots)
	defer t.Stop()
	for slot := 0; ; slot = (slot + 1) % wsHeartbeatSlots {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.beat(slot)
		}
	}
}

// beat sends the heartbeat to the screens of one slot.
func (s *Server) beat(slot int) {
	conns := s.ws.slot(slot)
	if len(conns) == 0 {
		return
	}
	msg := pingMessage(s.store.Head())
	for _, c := range conns {
		c.send(msg)
	}
}

func (s *Server) melodySessions() []*melody.Session {
	sessions, err := s.melody.Sessions()
	if err != nil {
		return nil
	}
	return sessions
}

// wsConn is our state for one WebSocket session.
type wsConn struct {
	reg    *wsRegistry
	sess   *melody.Session
	sub    *store.Subscription
	screen *screen
	slot   int         // heartbeat slot (wsRegistry)
	broken atomic.Bool // cut: nothing more is sent

	// sending is set while we hand melody a message, and full when melody
	// said (through its error handler, synchronously) that its buffer had
	// no room for it.
	sending, full atomic.Bool

	mu      sync.Mutex
	queue   [][]byte // waiting for room in melody's buffer, oldest first
	counted bool     // queue is not empty and counted in reg.queued
	limit   int      // the most that may wait: the backlog plus wsMaxQueued
}

func wsConnOf(sess *melody.Session) (*wsConn, bool) {
	v, ok := sess.Get("conn")
	if !ok {
		return nil, false
	}
	c, ok := v.(*wsConn)
	return c, ok
}

// send hands msg to melody when nothing is queued and its buffer has room,
// else queues it behind the others. A client with more than limit messages
// waiting is cut, so that it resumes by seq. Never blocks.
func (c *wsConn) send(msg []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken.Load() {
		return false
	}
	if len(c.queue) == 0 {
		if c.offerLocked(msg) {
			return true
		}
		if c.broken.Load() {
			return false
		}
		// melody's buffer is full: msg waits, and melody's writer drains
		// the queue (HandleSentMessage) once counted. It may have emptied
		// the buffer between the full write and the count, calling no one:
		// so drain once here, after counting.
		c.queue = append(c.queue, msg)
		c.counted = true
		c.reg.queued.Add(1)
		c.drainLocked()
		return !c.broken.Load()
	}
	if len(c.queue) >= c.limit {
		c.cut()
		return false
	}
	c.queue = append(c.queue, msg)
	return true
}

// offerLocked hands msg to melody: true when melody took it, false when
// its buffer was full (msg is still ours) or the connection is cut.
func (c *wsConn) offerLocked(msg []byte) bool {
	c.full.Store(false)
	c.sending.Store(true)
	err := c.sess.Write(msg)
	c.sending.Store(false)
	if err != nil {
		c.cut()
		return false
	}
	return !c.full.Load() && !c.broken.Load()
}

// drain is called by melody's writer after a message reached the socket
// while some connection had a queue: it moves what fits from the queue
// into melody's buffer.
func (c *wsConn) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drainLocked()
}

func (c *wsConn) drainLocked() {
	for len(c.queue) > 0 && !c.broken.Load() {
		if !c.offerLocked(c.queue[0]) {
			return
		}
		c.queue[0] = nil
		c.queue = c.queue[1:]
	}
	c.uncountLocked()
}

// uncountLocked lets a drained (or cut) queue go and takes it out of the
// count.
func (c *wsConn) uncountLocked() {
	if len(c.queue) == 0 || c.broken.Load() {
		c.queue = nil
		if c.counted {
			c.counted = false
			c.reg.queued.Add(-1)
		}
	}
}

// cut drops a client that cannot keep up: no further message is queued and
// the connection is closed, so the client notices and resumes by seq.
func (c *wsConn) cut() {
	if c.broken.Swap(true) {
		return
	}
	if conn := c.sess.WebsocketConnection(); conn != nil {
		// cut runs under the feed's locks (from a publish): close the raw
		// socket, never a TLS close-notify that could block on a stuck peer.
		_ = rawConn(conn.NetConn()).Close()
	}
}

// rawConn unwraps TLS to the TCP connection beneath it.
func rawConn(nc net.Conn) net.Conn {
	if tc, ok := nc.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return nc
}

func (s *Server) serveWS(c echo.Context) error {
	since, err := parseSince(c)
	if err != nil {
		return err
	}
	keys := map[string]any{"since": since, "who": principalOf(c).Name}
	if err := s.melody.HandleRequestWithKeys(c.Response(), c.Request(), keys); err != nil {
		s.log.Debug("websocket upgrade failed", "transport", "ws", "err", err)
	}
	return nil
}

func (s *Server) wsConnect(sess *melody.Session) {
	since, _ := sess.Keys["since"].(int64)
	who, _ := sess.Keys["who"].(string)
	c := &wsConn{reg: &s.ws, sess: sess, limit: wsMaxQueued}
	c.screen = s.screens.add(who, "ws", sess.Request)
	sess.Set("conn", c)
	if nc, ok := rawConn(sess.WebsocketConnection().NetConn()).(interface{ SetWriteBuffer(int) error }); ok {
		_ = nc.SetWriteBuffer(wsSocketBuffer)
	}

	sub, backlog, reset, err := store.ResumeEpoch(sess.Request.Context(), s.store, since, sess.Request.URL.Query().Get("epoch"))
	if err != nil {
		s.log.Error("subscribe", "transport", "ws", "err", err)
		c.cut()
		return
	}
	c.sub = sub
	sub.OnEnd(c.cut) // dropped (or the store closing): the client must notice and resume
	head := s.store.Head()
	c.mu.Lock()
	c.limit += len(backlog) // the backlog waits in the queue too, paced by the wire
	c.mu.Unlock()
	c.send(s.helloMessage(head, "ws"))
	if reset {
		c.send(resetMessage(head, s.store.Epoch()))
	}
	for _, e := range backlog {
		if !c.send(e.JSON()) {
			return
		}
	}
	sub.Start(func(e store.Event) bool { return c.send(e.JSON()) })
	s.ws.add(c) // heartbeats from now on: after hello, never before it
}

func (s *Server) wsDisconnect(sess *melody.Session) {
	c, ok := wsConnOf(sess)
	if !ok {
		return
	}
	if c.sub != nil {
		c.sub.Close()
	}
	s.ws.remove(c)
	c.cut()
	c.mu.Lock()
	c.uncountLocked()
	c.mu.Unlock()
	s.screens.remove(c.screen)
}
