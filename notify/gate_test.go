package notify_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/internal/testutil"
	"github.com/syncmon/syncmon/notify"
)

// gate is a cluster's say, by hand: whether this node sends, how far the
// sender has handled each channel, and what this node reported.
type gate struct {
	mu      sync.Mutex
	sending bool
	handled int64
	done    []int64
}

func (g *gate) Sending() bool { g.mu.Lock(); defer g.mu.Unlock(); return g.sending }
func (g *gate) Handled(string) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.handled
}
func (g *gate) Done(_ string, seq int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.done = append(g.done, seq)
}
func (g *gate) set(sending bool, handled int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sending, g.handled = sending, handled
}
func (g *gate) reported() []int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int64(nil), g.done...)
}

// A node that does not send follows the sender: it passes over what the
// sender handled (sending nothing) and stops at the first event the
// sender has not reported. Once it sends, it goes on from there: the
// events the old sender did not report are sent once, the others not
// again; and the alerts the old sender told get their resolution told.
func TestGateFollowsTheSenderThenTakesOver(t *testing.T) {
	clk := &clock{}
	st := openStore(t, filepath.Join(t.TempDir(), "n.db"), clk)
	h := newHook(t, http.StatusNoContent)
	g := &gate{}
	n := notify.New(st, []config.Notification{channel("hook", config.NotifyWebhook, h.srv.URL)}, notify.Options{
		Log: slog.New(slog.DiscardHandler), MinBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond,
		Poll: time.Hour, Now: clk.Now, Gate: g, // Poll: only Wake and new events wake a channel
	})
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	seqs := testAlerts(t, st, 3)

	// The sender has delivered the first two.
	g.set(false, seqs[1])
	n.Wake()
	cursor := func() int64 { return n.Stats()[0].Cursor }
	testutil.Eventually(t, 5*time.Second, "the follower passes over what the sender handled", func() bool { return cursor() == seqs[1] })
	if reqs := h.requests(); len(reqs) != 0 {
		t.Fatalf("a node that does not send sent %d requests", len(reqs))
	}

	// This node becomes the sender.
	g.set(true, seqs[1])
	n.Wake()
	testutil.Eventually(t, 5*time.Second, "the third event sent", func() bool { return len(h.delivered()) == 1 })
	checkAtLeastOnce(t, h.requests(), keys("hook", seqs[2:]))
	testutil.Eventually(t, 5*time.Second, "the third event reported", func() bool {
		r := g.reported()
		return len(r) > 0 && r[len(r)-1] == seqs[2]
	})

	// Every test alert resolves: all three were told (two by the old
	// sender), so all three resolutions are sent.
	clk.Advance(24 * time.Hour)
	if err := st.ExpireTestAlerts(context.Background()); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, "three resolutions sent", func() bool { return len(h.delivered()) == 4 })
	for _, r := range h.requests()[1:] {
		if !strings.Contains(string(r.body), `"type":"alert.resolved"`) {
			t.Fatalf("after the takeover: %s", r.body)
		}
	}
}
