package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/store"
)

// parseSince reads since= and, for SSE, Last-Event-ID; with both, the
// later one wins: EventSource reconnects to the URL it was opened with
// (its since is the first connection's) and adds the id it saw last.
// Absent: -1, which subscribes at the current head (live events only).
func parseSince(c echo.Context) (int64, error) {
	since := int64(-1)
	for _, v := range []string{c.QueryParam("since"), c.Request().Header.Get("Last-Event-ID")} {
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return 0, echo.NewHTTPError(http.StatusBadRequest, "since must be a non-negative integer")
		}
		since = max(since, n)
	}
	return since, nil
}

// eventQueue holds the live events of one SSE stream or long-poll until
// its handler writes them. deliver never blocks: past max events the
// subscription is dropped and the client resumes by seq. Unlike a buffered
// channel it costs nothing while empty, which is most of the time.
type eventQueue struct {
	mu     sync.Mutex
	events []store.Event
	max    int
	ready  chan struct{} // signalled when events arrive
}

func newEventQueue(max int) *eventQueue {
	return &eventQueue{max: max, ready: make(chan struct{}, 1)}
}

func (q *eventQueue) deliver(e store.Event) bool {
	q.mu.Lock()
	if len(q.events) >= q.max {
		q.mu.Unlock()
		return false
	}
	q.events = append(q.events, e)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// take returns the queued events, oldest first, and empties the queue.
func (q *eventQueue) take() []store.Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.events
	q.events = nil
	return out
}

// sseQueue bounds the events an SSE stream may have waiting for the socket:
// a burst of alerts from one check fits; a client further behind is
// dropped and EventSource resumes from Last-Event-ID.
const sseQueue = 1024

// serveSSE streams events as Server-Sent Events: id = seq, a retry hint,
// hello first, the backlog after since (or Last-Event-ID), then live events,
// with a comment and a ping every PingInterval.
func (s *Server) serveSSE(c echo.Context) error {
	since, err := parseSince(c)
	if err != nil {
		return err
	}
	sub, backlog, reset, err := store.ResumeEpoch(c.Request().Context(), s.store, since, c.QueryParam("epoch"))
	if err != nil {
		return fmt.Errorf("sse: %w", err)
	}
	defer sub.Close()
	scr := s.screens.add(principalOf(c).Name, "sse", c.Request())
	defer s.screens.remove(scr)

	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	// no-transform asks proxies not to compress (compression holds a stream
	// back); X-Accel-Buffering: no tells an nginx we are behind not to buffer.
	h.Set(echo.HeaderCacheControl, "no-cache, no-store, no-transform")
	h.Set("X-Accel-Buffering", "no")
	c.Response().WriteHeader(http.StatusOK)
	w := c.Response()
	rc := http.NewResponseController(w)
	var frame []byte
	write := func(id int64, data []byte) error {
		frame = frame[:0]
		if id > 0 {
			frame = append(frame, "id: "...)
			frame = strconv.AppendInt(frame, id, 10)
			frame = append(frame, '\n')
		}
		frame = append(frame, "data: "...)
		frame = append(frame, data...)
		frame = append(frame, "\n\n"...)
		_, err := w.Write(frame)
		return err
	}
	writeEvent := func(id int64, data []byte) error {
		if err := write(id, data); err != nil {
			return err
		}
		return rc.Flush()
	}
	deadline := func() { _ = rc.SetWriteDeadline(time.Now().Add(s.opt.PingInterval + 10*time.Second)) }
	deadline()
	head := s.store.Head()
	// 2 KiB of padding first: some proxies and old browsers hold back a
	// stream until they have seen that much.
	if _, err := fmt.Fprintf(w, ":%s\nretry: 3000\n\n", strings.Repeat(" ", 2048)); err != nil {
		return nil
	}
	if writeEvent(0, s.helloMessage(head, "sse")) != nil {
		return nil
	}
	if reset && writeEvent(0, resetMessage(head, s.store.Epoch())) != nil {
		return nil
	}
	for _, e := range backlog {
		if write(e.Seq, e.JSON()) != nil {
			return nil
		}
	}
	if rc.Flush() != nil {
		return nil
	}
	q := newEventQueue(sseQueue)
	sub.Start(q.deliver)
	ticker := time.NewTicker(s.opt.PingInterval)
	defer ticker.Stop()
	ctx := c.Request().Context()
	writeQueued := func() error { // one flush for whatever has queued up
		for _, e := range q.take() {
			if err := write(e.Seq, e.JSON()); err != nil {
				return err
			}
		}
		return rc.Flush()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.stop:
			return nil
		case <-sub.Done():
			// Dropped for not keeping up, or the store closed: end the
			// stream; EventSource reconnects with Last-Event-ID.
			_ = writeQueued()
			return nil
		case <-q.ready:
			deadline()
			if writeQueued() != nil {
				return nil
			}
		case <-ticker.C:
			deadline()
			s.screens.touch(scr)
			// A comment for proxies that count bytes, and a ping the page
			// can see (comments are invisible to EventSource).
			if _, err := fmt.Fprint(w, ": heartbeat\n"); err != nil {
				return nil
			}
			if writeEvent(0, pingMessage(s.store.Head())) != nil {
				return nil
			}
		}
	}
}

// Long-poll limits.
const (
	pollMaxWait     = 25 * time.Second
	pollDefaultWait = 10 * time.Second
	pollMaxEvents   = 500
)

// pollAnswer is /poll's answer, {"events":[…],"head":HEAD,…}. It is written
// by hand: the events are already JSON, and encoding/json would parse and
// compact every one of them again, on every poll of every client.
type pollAnswer struct {
	events [][]byte
	head   int64
	ping   time.Duration
	ver    string
}

func (a *pollAnswer) add(raw []byte) { a.events = append(a.events, raw) }

func (a *pollAnswer) send(c echo.Context) error {
	n := 128
	for _, e := range a.events {
		n += len(e) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"events":[`...)
	for i, e := range a.events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	b = append(b, `],"head":`...)
	b = strconv.AppendInt(b, a.head, 10)
	b = append(b, `,"transport":"poll","version":`...)
	b = strconv.AppendQuote(b, a.ver)
	// ping_seconds: the heartbeat cadence; the page holds its polls no
	// longer than this, so that an answer doubles as the heartbeat.
	b = append(b, `,"ping_seconds":`...)
	b = strconv.AppendFloat(b, a.ping.Seconds(), 'f', -1, 64)
	b = append(b, '}')
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}

// servePoll answers at once when events after since exist, else after wait
// (clamped to 25 s) with whatever arrived, or none: then it is a heartbeat.
// head in the answer is the newest seq the answer accounts for: the log's
// head, except while more than pollMaxEvents are waiting (the next poll
// answers at once) or a commit is on its way; resuming from it loses nothing.
func (s *Server) servePoll(c echo.Context) error {
	since, err := parseSince(c)
	if err != nil {
		return err
	}
	wait := pollDefaultWait
	if v := c.QueryParam("wait"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 {
			return echo.NewHTTPError(http.StatusBadRequest, "wait must be a number of seconds")
		}
		// Clamped before converting: NaN, Inf and 1e308 overflow a Duration.
		if !(n <= pollMaxWait.Seconds()) {
			n = pollMaxWait.Seconds()
		}
		wait = time.Duration(n * float64(time.Second))
	}
	client := c.QueryParam("client")
	if len(client) > pollClientMax {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("client must be at most %d bytes", pollClientMax))
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-cache, no-store, no-transform")
	s.screens.poll(principalOf(c).Name, c.Request(), client)
	resp := &pollAnswer{ping: s.opt.PingInterval, ver: s.opt.Version}

	sub, backlog, reset, err := store.ResumeEpoch(c.Request().Context(), s.store, since, c.QueryParam("epoch"))
	if err != nil {
		return fmt.Errorf("poll: %w", err)
	}
	defer sub.Close()
	if reset {
		// At once: the page reloads its snapshot and polls from head.
		resp.head = sub.Position()
		resp.add(resetMessage(resp.head, s.store.Epoch()))
		return resp.send(c)
	}
	if len(backlog) > 0 {
		if len(backlog) > pollMaxEvents {
			backlog = backlog[:pollMaxEvents]
		}
		for _, e := range backlog {
			resp.add(e.JSON())
		}
		resp.head = backlog[len(backlog)-1].Seq
		return resp.send(c)
	}
	resp.head = sub.Position()
	q := newEventQueue(pollMaxEvents)
	sub.Start(q.deliver)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-q.ready:
	case <-timer.C:
	case <-sub.Done():
	case <-s.stop:
	case <-c.Request().Context().Done():
		return nil
	}
	// Closed first, so that what is taken is exactly what this answer
	// accounts for: head is then a safe place to resume from.
	sub.Close()
	for _, e := range q.take() {
		resp.add(e.JSON())
		if !e.Unpersisted {
			resp.head = e.Seq
		}
	}
	return resp.send(c)
}
