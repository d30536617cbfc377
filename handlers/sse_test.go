package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncmon/syncmon/handlers"
)

// sseClient reads a /events stream the way EventSource does: fields up to
// a blank line make one event; comment lines are counted, not delivered.
type sseClient struct {
	resp   *http.Response
	cancel context.CancelFunc
	out    chan sseResult

	mu       sync.Mutex
	comments int
	retry    string
}

type sseResult struct {
	id   string
	data []byte
	err  error
}

// dialSSE opens /events; since < 0 sends none. hdr may add Last-Event-ID.
func dialSSE(base string, since int64, hdr http.Header) (*sseClient, error) {
	ctx, cancel := context.WithCancel(context.Background())
	u := base + "/events"
	if since >= 0 {
		u += "?since=" + strconv.FormatInt(since, 10)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	c := &sseClient{resp: resp, cancel: cancel, out: make(chan sseResult, 64)}
	go c.read()
	return c, nil
}

func (c *sseClient) read() {
	defer close(c.out)
	br := bufio.NewReader(c.resp.Body)
	var id string
	var data bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			c.out <- sseResult{err: err}
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if data.Len() > 0 {
				c.out <- sseResult{id: id, data: bytes.TrimSuffix(bytes.Clone(data.Bytes()), []byte("\n"))}
			}
			id = ""
			data.Reset()
		case strings.HasPrefix(line, ":"):
			c.mu.Lock()
			c.comments++
			c.mu.Unlock()
		case strings.HasPrefix(line, "id:"):
			id = strings.TrimSpace(strings.TrimPrefix(line, "id:"))
		case strings.HasPrefix(line, "retry:"):
			c.mu.Lock()
			c.retry = strings.TrimSpace(strings.TrimPrefix(line, "retry:"))
			c.mu.Unlock()
		case strings.HasPrefix(line, "data:"):
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
			data.WriteByte('\n')
		}
	}
}

// recv returns the next event of the stream. An event with a seq must carry
// that seq as its id; ephemeral messages carry none.
func (c *sseClient) recv(within time.Duration) (wire, error) {
	select {
	case r, ok := <-c.out:
		if !ok || r.err != nil {
			return wire{}, fmt.Errorf("sse stream ended: %v", r.err)
		}
		var w wire
		if err := json.Unmarshal(r.data, &w); err != nil {
			return wire{}, fmt.Errorf("decode %q: %w", r.data, err)
		}
		if want := idOf(w.Seq); r.id != want {
			return wire{}, fmt.Errorf("event %s has id %q, want %q", r.data, r.id, want)
		}
		return w, nil
	case <-time.After(within):
		return wire{}, errTimeout
	}
}

func idOf(seq int64) string {
	if seq == 0 {
		return ""
	}
	return strconv.FormatInt(seq, 10)
}

func (c *sseClient) close() { c.cancel(); c.resp.Body.Close() }

func (c *sseClient) commentCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.comments
}

func TestSSEHeadersRetryAndPadding(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	c, err := dialSSE(ts.URL, -1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	h := c.resp.Header
	for k, want := range map[string]string{
		"Content-Type":      "text/event-stream; charset=utf-8",
		"X-Accel-Buffering": "no",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for _, want := range []string{"no-cache", "no-transform"} {
		if !strings.Contains(h.Get("Cache-Control"), want) {
			t.Errorf("Cache-Control = %q, want it to contain %s", h.Get("Cache-Control"), want)
		}
	}
	if hello, err := c.recv(5 * time.Second); err != nil || hello.Type != "hello" {
		t.Fatalf("first event = %+v, %v; want hello", hello, err)
	}
	c.mu.Lock()
	retry, comments := c.retry, c.comments
	c.mu.Unlock()
	if retry != "3000" || comments < 1 {
		t.Fatalf("retry = %q and %d comments before hello; want retry 3000 and the padding comment", retry, comments)
	}
}

// EventSource reconnects to the URL it was first given (with that first
// since) and adds Last-Event-ID: the later position must win, or the page
// gets every event since the first connection again.
func TestSSELastEventIDWinsOverAnOlderSince(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	for range 6 {
		testAlert(t, ts.Store, "x")
	}
	for _, tc := range []struct {
		name  string
		since int64
		hdr   string
		first int64
	}{
		{"header newer than query", 1, "4", 5},
		{"query newer than header", 4, "1", 5},
		{"header alone", -1, "3", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := dialSSE(ts.URL, tc.since, http.Header{"Last-Event-Id": {tc.hdr}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.close()
			if _, err := c.recv(5 * time.Second); err != nil { // hello
				t.Fatal(err)
			}
			e, err := c.recv(5 * time.Second)
			if err != nil || e.Seq != tc.first {
				t.Fatalf("first event = %+v, %v; want seq %d", e, err, tc.first)
			}
		})
	}
}

func TestSSEBadLastEventIDIsRefused(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/events", nil)
	req.Header.Set("Last-Event-ID", "-3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", resp.StatusCode)
	}
}

// Proxies that count idle bytes see a comment line every heartbeat, beside
// the ping event the page reads.
func TestSSEHeartbeatCarriesACommentAndAPing(t *testing.T) {
	ts := newTestServer(t, handlers.Options{PingInterval: 100 * time.Millisecond})
	c, err := dialSSE(ts.URL, -1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	c.recv(5 * time.Second) // hello
	before := c.commentCount()
	for range 2 {
		if p, err := c.recv(5 * time.Second); err != nil || p.Type != "ping" {
			t.Fatalf("got %+v, %v; want ping", p, err)
		}
	}
	if got := c.commentCount() - before; got < 2 {
		t.Fatalf("%d comment lines with 2 pings, want one each", got)
	}
}
