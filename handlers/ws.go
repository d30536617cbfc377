package handlers

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/olahol/melody"
	"github.com/syncmon/syncmon/store"
)

// WebSocket limits. melody's own buffer is wsBuffer messages; we keep our
// count of unsent messages below it, so a client that stops reading is cut
// off (and resumes by seq) instead of melody silently dropping a message.
// The buffer is a channel of 40-byte envelopes allocated per connection, so
// its size is most of what an idle connection costs us: 64 slots hold a
// burst of 56 events per client, far beyond 20 alerts a second.
const (
	wsBuffer       = 64
	wsMaxInflight  = 56
	wsReplayWindow = 32
	wsMaxInbound   = 1024 // bytes: clients have nothing to say beyond a short keep-alive
	// wsSocketBuffer caps the kernel's send buffer per connection (Linux
	// doubles it). Autotuned, it grows to megabytes, which a client that
	// stopped reading fills silently for minutes before anything here can
	// tell; capped, such a client exceeds wsMaxInflight after about a
	// hundred alerts and is cut. 64 KiB still moves a 10 000-event replay
	// in seconds over a WAN.
	wsSocketBuffer = 64 << 10
)

// wsWriteBuffers are shared: a connection holds a write buffer only while it
// writes a message, not while it idles.
var wsWriteBuffers = &sync.Pool{}

func (s *Server) newMelody() *melody.Melody {
	m := melody.New()
	m.Config.MaxMessageSize = wsMaxInbound
	m.Config.MessageBufferSize = wsBuffer
	// Protocol pings at our heartbeat cadence; a client that has not answered
	// one for three intervals (it stopped reading, or the line is dead) is
	// closed by its read deadline and resumes by seq when it comes back.
	m.Config.PingPeriod = s.opt.PingInterval
	m.Config.PongWait = 3*s.opt.PingInterval + time.Second
	m.Upgrader.CheckOrigin = func(r *http.Request) bool { return s.originAllowed(r) }
	// ReadBufferSize 0 reuses the 4 KiB reader net/http already holds for
	// the connection; writes borrow pooled buffers.
	m.Upgrader.ReadBufferSize = 0
	m.Upgrader.WriteBufferSize = 2048
	m.Upgrader.WriteBufferPool = wsWriteBuffers
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
	sess     *melody.Session
	sub      *store.Subscription
	screen   *screen
	inflight atomic.Int64 // written to melody, not yet on the wire
	broken   atomic.Bool
	drained  chan struct{}
}

func wsConnOf(sess *melody.Session) (*wsConn, bool) {
	v, ok := sess.Get("conn")
	if !ok {
		return nil, false
	}
	c, ok := v.(*wsConn)
	return c, ok
}

// send queues msg unless the client is too far behind, in which case the
// connection is cut so that the client resumes by seq. Never blocks.
func (c *wsConn) send(msg []byte) bool {
	if c.broken.Load() {
		return false
	}
	if c.inflight.Add(1) > wsMaxInflight {
		c.cut()
		return false
	}
	if err := c.sess.Write(msg); err != nil {
		c.cut()
		return false
	}
	return !c.broken.Load()
}

func (c *wsConn) sent() {
	c.inflight.Add(-1)
	select {
	case c.drained <- struct{}{}:
	default:
	}
}

// cut drops a client that cannot keep up: no further message is queued and
// the connection is closed, so the client notices and resumes by seq.
func (c *wsConn) cut() {
	if c.broken.Swap(true) {
		return
	}
	if conn := c.sess.WebsocketConnection(); conn != nil {
		_ = conn.Close()
	}
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
	c := &wsConn{sess: sess, drained: make(chan struct{}, 1)}
	c.screen = s.screens.add(who, "ws", sess.Request)
	sess.Set("conn", c)
	if nc, ok := sess.WebsocketConnection().NetConn().(interface{ SetWriteBuffer(int) error }); ok {
		_ = nc.SetWriteBuffer(wsSocketBuffer)
	}

	sub, backlog, err := s.store.Subscribe(since)
	reset := errors.Is(err, store.ErrTooOld)
	if reset {
		sub, backlog, err = s.store.Subscribe(-1)
	}
	if err != nil {
		s.log.Error("subscribe", "transport", "ws", "err", err)
		c.cut()
		return
	}
	c.sub = sub
	head := s.store.Head()
	c.send(s.helloMessage(head, "ws"))
	if reset {
		c.send(resetMessage(head))
	}
	if len(backlog) < wsReplayWindow-2 {
		s.wsReplay(c, backlog)
		return
	}
	// A long backlog is paced by what reaches the wire, off the read pump.
	go s.wsReplay(c, backlog)
}

func (s *Server) wsReplay(c *wsConn, backlog []store.Event) {
	for _, e := range backlog {
		for c.inflight.Load() >= wsReplayWindow {
			select {
			case <-c.drained:
			case <-c.sub.Done():
				return
			case <-time.After(10 * time.Second):
				c.cut()
				return
			}
		}
		if !c.send(e.JSON()) {
			return
		}
	}
	c.sub.Start(func(e store.Event) bool {
		if !c.send(e.JSON()) {
			c.cut()
			return false
		}
		return true
	})
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
