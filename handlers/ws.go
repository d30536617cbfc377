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

// WebSocket limits. We hand melody at most wsWindow messages at a time
// (its buffer holds a few more, so it never drops one silently); the rest
// wait in our queue per connection, which costs nothing while empty. A
// burst of alerts or a long replay is then paced by what reaches the wire
// instead of cutting every screen, and melody's buffer (a channel of
// 40-byte envelopes allocated per connection, most of what an idle
// connection costs us) stays small.
const (
	wsWindow = 16
	wsBuffer = wsWindow + 4 // room for the close message at shutdown
	// wsMaxQueued is how many live messages may wait beyond the window (on
	// top of a replayed backlog); more, and the client is cut and resumes.
	wsMaxQueued  = 1024
	wsMaxInbound = 1024 // bytes: clients have nothing to say beyond a short keep-alive
	// wsSocketBuffer caps the kernel's send buffer per connection (Linux
	// doubles it). Autotuned, it grows to megabytes, which a client that
	// stopped reading fills silently for minutes; capped, its socket is
	// full after about a hundred alerts, melody's write then blocks, and
	// the write deadline closes the connection. 64 KiB still moves a
	// 10 000-event replay in seconds over a WAN.
	wsSocketBuffer = 64 << 10
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
		if c, ok := wsConnOf(sess); ok {
			c.sent()
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
		if errors.Is(err, melody.ErrMessageBufferFull) {
			if c, ok := wsConnOf(sess); ok {
				c.cut()
			}
		}
	})
	return m
}

// wsConn is our state for one WebSocket session.
type wsConn struct {
	sess   *melody.Session
	sub    *store.Subscription
	screen *screen
	broken atomic.Bool // cut: nothing more is sent
	// greeted: hello is on its way, so pings may follow. The heartbeat
	// finds a conn as soon as it is set on the session, before hello.
	greeted atomic.Bool

	mu       sync.Mutex
	inflight int      // handed to melody, not yet written
	queue    [][]byte // waiting for room in the window, oldest first
	limit    int      // the most that may wait: the backlog plus wsMaxQueued
}

func wsConnOf(sess *melody.Session) (*wsConn, bool) {
	v, ok := sess.Get("conn")
	if !ok {
		return nil, false
	}
	c, ok := v.(*wsConn)
	return c, ok
}

// send hands msg to melody when the window has room, else queues it behind
// the others. A client with more than limit messages waiting is cut, so
// that it resumes by seq. Never blocks.
func (c *wsConn) send(msg []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken.Load() {
		return false
	}
	if c.inflight < wsWindow && len(c.queue) == 0 {
		return c.writeLocked(msg)
	}
	if len(c.queue) >= c.limit {
		c.cut()
		return false
	}
	c.queue = append(c.queue, msg)
	return true
}

// writeLocked hands msg to melody. melody reports a full buffer through the
// error handler, synchronously, which cuts (without taking c.mu).
func (c *wsConn) writeLocked(msg []byte) bool {
	c.inflight++
	if err := c.sess.Write(msg); err != nil {
		c.cut()
		return false
	}
	return !c.broken.Load()
}

// sent is called by melody's writer after each message reached the socket:
// the window has room for the next queued one.
func (c *wsConn) sent() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight--
	for c.inflight < wsWindow && len(c.queue) > 0 && !c.broken.Load() {
		msg := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		if !c.writeLocked(msg) {
			return
		}
	}
	if len(c.queue) == 0 {
		c.queue = nil // a drained backlog is let go
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
	c := &wsConn{sess: sess, limit: wsMaxQueued}
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
	c.greeted.Store(true)
	if reset {
		c.send(resetMessage(head, s.store.Epoch()))
	}
	for _, e := range backlog {
		if !c.send(e.JSON()) {
			return
		}
	}
	sub.Start(func(e store.Event) bool { return c.send(e.JSON()) })
}

func (s *Server) wsDisconnect(sess *melody.Session) {
	c, ok := wsConnOf(sess)
	if !ok {
		return
	}
	if c.sub != nil {
		c.sub.Close()
	}
	s.screens.remove(c.screen)
}
