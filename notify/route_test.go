package notify

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

func TestRoute(t *testing.T) {
	const (
		w = monitor.SeverityWarning
		c = monitor.SeverityCritical
	)
	warnCh := config.NotificationDefaults()
	critCh := config.NotificationDefaults()
	critCh.MinSeverity = c
	acksCh := warnCh
	acksCh.IncludeAcks = true
	cases := []struct {
		name     string
		ch       config.Notification
		typ      string
		sev      string
		silenced bool
		known    store.NotifyAlert
		send     bool
		told     string
		forget   bool
	}{
		{"opened at min", warnCh, monitor.AlertOpened, w, false, store.NotifyAlert{}, true, w, false},
		{"opened below min", critCh, monitor.AlertOpened, w, false, store.NotifyAlert{}, false, "", false},
		{"opened silenced", warnCh, monitor.AlertOpened, c, true, store.NotifyAlert{}, false, "", false},
		{"escalated to min", critCh, monitor.AlertUpdated, c, false, store.NotifyAlert{Seen: w}, true, c, false},
		{"escalated after told", warnCh, monitor.AlertUpdated, c, false, store.NotifyAlert{Seen: w, Told: w}, true, c, false},
		{"same severity, new text", warnCh, monitor.AlertUpdated, w, false, store.NotifyAlert{Seen: w, Told: w}, false, w, false},
		{"fell", warnCh, monitor.AlertUpdated, w, false, store.NotifyAlert{Seen: c, Told: c}, false, c, false},
		{"rose again after a fall", warnCh, monitor.AlertUpdated, c, false, store.NotifyAlert{Seen: w, Told: c}, true, c, false},
		{"silence ended, never told", warnCh, monitor.AlertUpdated, c, false, store.NotifyAlert{Seen: c}, true, c, false},
		{"silence ended, told before", warnCh, monitor.AlertUpdated, c, false, store.NotifyAlert{Seen: c, Told: c}, false, c, false},
		{"escalated while silenced", warnCh, monitor.AlertUpdated, c, true, store.NotifyAlert{Seen: w, Told: w}, false, w, false},
		{"silence ended after escalation", warnCh, monitor.AlertUpdated, c, false, store.NotifyAlert{Seen: c, Told: w}, true, c, false},
		{"resolved, told", critCh, monitor.AlertResolved, w, false, store.NotifyAlert{Seen: w, Told: c}, true, c, true},
		{"resolved, never told", critCh, monitor.AlertResolved, w, false, store.NotifyAlert{Seen: w}, false, "", true},
		{"acked, acks off", warnCh, monitor.AlertAcked, c, false, store.NotifyAlert{Seen: c, Told: c}, false, c, false},
		{"acked, acks on", acksCh, monitor.AlertAcked, c, false, store.NotifyAlert{Seen: c, Told: c}, true, c, false},
		{"acked, never told", acksCh, monitor.AlertAcked, c, false, store.NotifyAlert{Seen: c}, false, "", false},
		{"unacked, acks on", acksCh, monitor.AlertUnacked, c, false, store.NotifyAlert{Seen: c, Told: c}, true, c, false},
		{"not an alert type", warnCh, "target.status", c, false, store.NotifyAlert{}, false, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := monitor.Alert{ID: 1, Severity: tc.sev, Silenced: tc.silenced}
			send, told, forget := route(tc.ch, tc.typ, a, tc.known)
			if send != tc.send || told != tc.told || forget != tc.forget {
				t.Fatalf("got send=%v told=%q forget=%v, want send=%v told=%q forget=%v",
					send, told, forget, tc.send, tc.told, tc.forget)
			}
		})
	}
}

func TestBackoffGrowsWithJitterWithinBounds(t *testing.T) {
	lo, hi := time.Second, 30*time.Second
	for failures := 1; failures <= 40; failures++ {
		base := min(lo<<min(failures-1, 20), hi)
		for range 50 {
			d := backoff(lo, hi, failures, 0)
			if d < base/2 || d > base {
				t.Fatalf("failures=%d: got %s, want within [%s, %s]", failures, d, base/2, base)
			}
		}
	}
	if d := backoff(lo, hi, 1, 2*time.Minute); d != 2*time.Minute {
		t.Fatalf("Retry-After 2m: got %s, want 2m", d)
	}
	if d := backoff(lo, hi, 1, 48*time.Hour); d != maxRetryAfter {
		t.Fatalf("Retry-After 48h: got %s, want %s", d, maxRetryAfter)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":     0,
		"120":  2 * time.Minute,
		"-5":   0,
		"soon": 0,
		now.Add(time.Minute).Format(http.TimeFormat):  time.Minute,
		now.Add(-time.Minute).Format(http.TimeFormat): 0,
	}
	for in, want := range cases {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSnippetAndRedact(t *testing.T) {
	n := config.NotificationDefaults()
	n.URL = monitor.Secret("https://hooks.example:8443/services/T1/B2/TOKEN?sig=SIG")
	c := newChannel(n, nil, Options{Log: slog.New(slog.DiscardHandler)})
	if c.host != "hooks.example:8443" {
		t.Fatalf("host = %q", c.host)
	}
	got := c.redact(`Post "https://hooks.example:8443/services/T1/B2/TOKEN?sig=SIG": EOF; path /services/T1/B2/TOKEN; q sig=SIG`)
	for _, secret := range []string{"TOKEN", "SIG", "/services/"} {
		if strings.Contains(got, secret) {
			t.Fatalf("redacted %q still holds %q", got, secret)
		}
	}
	if s := snippet([]byte("  line one\r\nline\x00two\xff  ")); s != "line one  linetwo" {
		t.Fatalf("snippet = %q", s)
	}
	if s := snippet([]byte(strings.Repeat("가", 500))); len([]rune(s)) != maxSnippet+1 {
		t.Fatalf("snippet length = %d runes, want %d", len([]rune(s)), maxSnippet+1)
	}
}

func TestWebhookBodyAddsKeyToTheWireEvent(t *testing.T) {
	e := store.Event{Seq: 12, Type: monitor.AlertOpened, At: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC),
		Alert: &monitor.Alert{ID: 3, Severity: monitor.SeverityCritical, Message: `quote " and <tag>`}}
	got, err := webhookBody(e, "syncmon-12-hook", "hook", "")
	if err != nil {
		t.Fatal(err)
	}
	wire := string(e.JSON())
	want := wire[:len(wire)-1] + `,"idempotency_key":"syncmon-12-hook","channel":"hook"}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
