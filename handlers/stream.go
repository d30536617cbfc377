package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/syncmon/syncmon/store"
)

// parseSince reads since= (and, for SSE, Last-Event-ID). Absent: -1, which
// subscribes at the current head (live events only).
func parseSince(c echo.Context) (int64, error) {
	v := c.QueryParam("since")
	if v == "" {
		v = c.Request().Header.Get("Last-Event-ID")
	}
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "since must be a non-negative integer")
	}
	return n, nil
}

// chanDeliver returns a non-blocking deliver function over a buffered
// channel: a full channel drops the subscription (the client resumes by seq).
func chanDeliver(ch chan store.Event) func(store.Event) bool {
	return func(e store.Event) bool {
		select {
		case ch <- e:
			return true
		default:
			return false
		}
	}
}

const streamBuffer = 256

// serveSSE streams events as Server-Sent Events: id = seq, a retry hint,
// hello first, the backlog after since (or Last-Event-ID), then live events,
// with a comment and a ping every PingInterval.
func (s *Server) serveSSE(c echo.Context) error {
	since, err := parseSince(c)
	if err != nil {
		return err
	}
	sub, backlog, err := s.store.Subscribe(since)
	reset := errors.Is(err, store.ErrTooOld)
	if reset {
		sub, backlog, err = s.store.Subscribe(-1)
	}
	if err != nil {
		return fmt.Errorf("subscribe sse: %w", err)
	}
	defer sub.Close()
	scr := s.screens.add(principalOf(c).Name, "sse", c.Request())
	defer s.screens.remove(scr)

	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set(echo.HeaderCacheControl, "no-cache, no-store")
	h.Set("X-Accel-Buffering", "no")
	c.Response().WriteHeader(http.StatusOK)
	w := c.Response()
	rc := http.NewResponseController(w)
	writeEvent := func(id int64, data []byte) error {
		var err error
		if id > 0 {
			_, err = fmt.Fprintf(w, "id: %d\ndata: %s\n\n", id, data)
		} else {
			_, err = fmt.Fprintf(w, "data: %s\n\n", data)
		}
		if err != nil {
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
	if reset && writeEvent(0, resetMessage(head)) != nil {
		return nil
	}
	for _, e := range backlog {
		if writeEvent(e.Seq, e.JSON()) != nil {
			return nil
		}
	}
	ch := make(chan store.Event, streamBuffer)
	sub.Start(chanDeliver(ch))
	ticker := time.NewTicker(s.opt.PingInterval)
	defer ticker.Stop()
	ctx := c.Request().Context()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.stop:
			return nil
		case <-sub.Done():
			// Dropped for not keeping up, or the store closed: end the
			// stream; EventSource reconnects with Last-Event-ID.
			drain(ch, func(e store.Event) error { return writeEvent(e.Seq, e.JSON()) })
			return nil
		case e := <-ch:
			deadline()
			if writeEvent(e.Seq, e.JSON()) != nil {
				return nil
			}
		case <-ticker.C:
			deadline()
			s.screens.touch(scr)
			if _, err := fmt.Fprint(w, ": heartbeat\n"); err != nil {
				return nil
			}
			if writeEvent(0, pingMessage(s.store.Head())) != nil {
				return nil
			}
		}
	}
}

func drain(ch chan store.Event, write func(store.Event) error) {
	for {
		select {
		case e := <-ch:
			if write(e) != nil {
				return
			}
		default:
			return
		}
	}
}

// Long-poll limits.
const (
	pollMaxWait     = 25 * time.Second
	pollDefaultWait = 10 * time.Second
	pollMaxEvents   = 500
)

type pollResponse struct {
	Events    []rawJSON `json:"events"`
	Head      int64     `json:"head"`
	Transport string    `json:"transport"`
	Version   string    `json:"version"`
}

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// servePoll answers at once when events after since exist, else after wait
// (clamped to 25 s) with whatever arrived, or none: then it is a heartbeat.
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
		wait = min(time.Duration(n*float64(time.Second)), pollMaxWait)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-cache, no-store")
	s.screens.poll(principalOf(c).Name, c.Request(), c.QueryParam("client"))
	resp := pollResponse{Events: []rawJSON{}, Transport: "poll", Version: s.opt.Version}

	sub, backlog, err := s.store.Subscribe(since)
	if errors.Is(err, store.ErrTooOld) {
		resp.Head = s.store.Head()
		resp.Events = append(resp.Events, resetMessage(resp.Head))
		return c.JSON(http.StatusOK, resp)
	}
	if err != nil {
		return fmt.Errorf("subscribe poll: %w", err)
	}
	defer sub.Close()
	if len(backlog) > 0 {
		if len(backlog) > pollMaxEvents {
			backlog = backlog[:pollMaxEvents]
		}
		for _, e := range backlog {
			resp.Events = append(resp.Events, e.JSON())
		}
		resp.Head = s.store.Head()
		return c.JSON(http.StatusOK, resp)
	}
	ch := make(chan store.Event, pollMaxEvents)
	sub.Start(chanDeliver(ch))
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case e := <-ch:
		resp.Events = append(resp.Events, e.JSON())
	case <-timer.C:
	case <-sub.Done():
	case <-s.stop:
	case <-c.Request().Context().Done():
		return nil
	}
	drain(ch, func(e store.Event) error {
		resp.Events = append(resp.Events, e.JSON())
		return nil
	})
	resp.Head = s.store.Head()
	return c.JSON(http.StatusOK, resp)
}
