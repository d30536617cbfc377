package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/syncmon/syncmon/handlers"
	"github.com/syncmon/syncmon/internal/testutil"
	"github.com/syncmon/syncmon/store"
)

// pollAnswer is /poll's answer.
type pollAnswer struct {
	Events      []json.RawMessage `json:"events"`
	Head        int64             `json:"head"`
	Transport   string            `json:"transport"`
	Version     string            `json:"version"`
	PingSeconds float64           `json:"ping_seconds"`
}

func poll(ctx context.Context, base string, since int64, wait time.Duration) (pollAnswer, *http.Response, error) {
	q := url.Values{"wait": {strconv.FormatFloat(wait.Seconds(), 'f', -1, 64)}}
	if since >= 0 {
		q.Set("since", strconv.FormatInt(since, 10))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/poll?"+q.Encode(), nil)
	if err != nil {
		return pollAnswer{}, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return pollAnswer{}, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return pollAnswer{}, resp, err
	}
	if resp.StatusCode != http.StatusOK {
		return pollAnswer{}, resp, fmt.Errorf("poll: %s %s", resp.Status, body)
	}
	var a pollAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return pollAnswer{}, resp, fmt.Errorf("decode %s: %w", body, err)
	}
	return a, resp, nil
}

// pollClient maps long-poll onto a stream of messages, as the page does:
// its first answer stands for hello, an answer without events for a ping,
// and each poll resumes from the last answer's head.
type pollClient struct {
	base    string
	since   int64
	wait    time.Duration
	queue   []wire
	greeted bool
	ctx     context.Context
	cancel  context.CancelFunc
}

func dialPoll(base string, since int64, wait time.Duration) *pollClient {
	ctx, cancel := context.WithCancel(context.Background())
	return &pollClient{base: base, since: since, wait: wait, ctx: ctx, cancel: cancel}
}

func (p *pollClient) recv(within time.Duration) (wire, error) {
	deadline := time.Now().Add(within)
	for len(p.queue) == 0 {
		ctx, cancel := context.WithDeadline(p.ctx, deadline)
		a, _, err := poll(ctx, p.base, p.since, p.wait)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return wire{}, errTimeout
		}
		if err != nil {
			return wire{}, err
		}
		if !p.greeted {
			p.greeted = true
			p.queue = append(p.queue, wire{Type: "hello", Head: a.Head, Transport: a.Transport, Version: a.Version})
		}
		for _, raw := range a.Events {
			var w wire
			if err := json.Unmarshal(raw, &w); err != nil {
				return wire{}, fmt.Errorf("decode %s: %w", raw, err)
			}
			p.queue = append(p.queue, w)
		}
		if len(a.Events) == 0 {
			p.queue = append(p.queue, wire{Type: "ping", Head: a.Head})
		}
		p.since = a.Head
	}
	w := p.queue[0]
	p.queue = p.queue[1:]
	return w, nil
}

func (p *pollClient) close() { p.cancel() }

func TestPollAnswersAtOnceWhenEventsWait(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	for range 3 {
		testAlert(t, ts.Store, "x")
	}
	start := time.Now()
	a, resp, err := poll(context.Background(), ts.URL, 1, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("answered after %v, want at once", el)
	}
	if len(a.Events) != 2 || a.Head != 3 || a.Transport != "poll" || a.Version != "test" || a.PingSeconds != 10 {
		t.Fatalf("answer = %+v, want events 2..3, head 3, poll, test, 10 s pings", a)
	}
	if cc := resp.Header.Get("Cache-Control"); cc == "" {
		t.Fatal("no Cache-Control on a poll answer")
	}
}

func TestPollHoldsForWaitThenAnswersEmpty(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	testAlert(t, ts.Store, "x")
	start := time.Now()
	a, _, err := poll(context.Background(), ts.URL, 1, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	if el < 300*time.Millisecond || el > 5*time.Second {
		t.Fatalf("answered after %v, want after the 300 ms wait", el)
	}
	if len(a.Events) != 0 || a.Head != 1 {
		t.Fatalf("answer = %+v, want no events and head 1", a)
	}
}

// A poll that is holding answers as soon as an event commits.
func TestPollWakesOnALiveEvent(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	done := make(chan pollAnswer, 1)
	errc := make(chan error, 1)
	go func() {
		a, _, err := poll(context.Background(), ts.URL, 0, 20*time.Second)
		if err != nil {
			errc <- err
			return
		}
		done <- a
	}()
	// The poll has subscribed once the feed counts it.
	testutil.Eventually(t, 5*time.Second, "the poll subscribed", func() bool { n, _ := ts.Store.FeedStats(); return n == 1 })
	start := time.Now()
	seq := testAlert(t, ts.Store, "wake")
	select {
	case a := <-done:
		if len(a.Events) != 1 || a.Head != seq {
			t.Fatalf("answer = %+v, want the one event and head %d", a, seq)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Fatalf("answered %v after the event", el)
		}
	case err := <-errc:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("poll did not wake on the event")
	}
}

func TestPollWaitIsChecked(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	for _, bad := range []string{"-1", "soon"} {
		resp, err := http.Get(ts.URL + "/poll?wait=" + bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("wait=%s: status %d, want 400", bad, resp.StatusCode)
		}
	}
}

// The hold is clamped to 25 s server-side, and defaults to 10 s. Checked on
// synctest's fake clock: the handler is called directly, no socket.
func TestPollHoldIsClampedTo25Seconds(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  time.Duration
	}{
		{"since=0&wait=600", 25 * time.Second},
		{"since=0", 10 * time.Second},
		{"since=0&wait=2.5", 2500 * time.Millisecond},
		// Issue 12: these overflowed a Duration and were answered at once.
		{"since=0&wait=NaN", 25 * time.Second},
		{"since=0&wait=Inf", 25 * time.Second},
		{"since=0&wait=1e308", 25 * time.Second},
	} {
		t.Run(tc.query, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "clamp.db"))
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				srv, err := handlers.New(handlers.Options{Store: st, AnonymousViewer: true, Version: "test",
					Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				start := time.Now()
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/poll?"+tc.query, nil))
				if got := time.Since(start); rec.Code != http.StatusOK || got != tc.want {
					t.Fatalf("answered %d after %v, want 200 after %v", rec.Code, got, tc.want)
				}
			})
		})
	}
}

// More than pollMaxEvents waiting: the answer carries 500 and a head that
// resumes right after them; the next poll brings the rest at once.
func TestPollCapsAnAnswerAndResumesFromItsHead(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	for range 620 {
		testAlert(t, ts.Store, "x")
	}
	a, _, err := poll(context.Background(), ts.URL, 0, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Events) != 500 || a.Head != 500 {
		t.Fatalf("first answer: %d events, head %d; want 500 and 500", len(a.Events), a.Head)
	}
	b, _, err := poll(context.Background(), ts.URL, a.Head, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 120 || b.Head != 620 || seqOf(b.Events[0]) != 501 {
		t.Fatalf("second answer: %d events from %d, head %d; want 120 from 501, head 620", len(b.Events), seqOf(b.Events[0]), b.Head)
	}
}

func TestPollResetWhenSinceIsAhead(t *testing.T) {
	ts := newTestServer(t, handlers.Options{})
	testAlert(t, ts.Store, "x")
	a, _, err := poll(context.Background(), ts.URL, 40, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var r wire
	if len(a.Events) != 1 || json.Unmarshal(a.Events[0], &r) != nil || r.Type != "reset" || r.Head != 1 {
		t.Fatalf("answer = %+v, want one reset with head 1", a)
	}
}
