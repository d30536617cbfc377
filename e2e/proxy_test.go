package e2e

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/syncmon/syncmon/store"
)

// wsToReject points the page's WebSocket at the strict proxy's /ws-reject,
// which refuses any upgrade with 403 like a proxy policy does (and passes
// plain requests on to /ws).
const wsToReject = `(function () {
  var W = window.WebSocket;
  if (!W) { return; }
  var R = function (url, protocols) {
    url = String(url).replace(/\/ws\?/, '/ws-reject?');
    return protocols === undefined ? new W(url) : new W(url, protocols);
  };
  R.prototype = W.prototype;
  R.CONNECTING = 0; R.OPEN = 1; R.CLOSING = 2; R.CLOSED = 3;
  window.WebSocket = R;
}());`

// deliver checks what every transport test wants: a first test alert on
// the page within first of its commit (whatever the page had to go
// through to find a working transport), then three more within 2 s each,
// all over want and only want.
func deliver(t *testing.T, r *rig, p *tab, want string, first time.Duration) {
	t.Helper()
	for i := range 4 {
		msg := fmt.Sprintf("%s test alert %d, %d", t.Name(), i+1, time.Now().UnixNano())
		within := 2 * time.Second
		if i == 0 {
			within = first
		}
		start := time.Now()
		id := r.app.alert(t, msg)
		p.waitFor(t, within, fmt.Sprintf("test alert %d shown", i+1), shownJS(id, msg))
		t.Logf("test alert %d shown %v after commit", i+1, time.Since(start).Round(time.Millisecond))
	}
	s := p.state(t)
	if s.Transport != want || !slices.Equal(s.Used, []string{want}) {
		t.Fatalf("transport %q, used %v; want %s all along", s.Transport, s.Used, want)
	}
	if s.Seq != r.app.head(t) || len(s.Alerts) != 4 {
		t.Fatalf("page at seq %d with %d alerts; the log's head is %d with 4", s.Seq, len(s.Alerts), r.app.head(t))
	}
	if s.Stale || s.StaleShow || s.ConnText == "" {
		t.Fatalf("page shows stale=%v (banner %v), transport label %q; want fresh and labelled", s.Stale, s.StaleShow, s.ConnText)
	}
}

func logHas(t *testing.T, r *rig, pattern string) {
	t.Helper()
	if !regexp.MustCompile(pattern).MatchString(r.accessLog(t)) {
		t.Fatalf("proxy access log has no line matching %s:\n%s", pattern, r.accessLog(t))
	}
}

// Behind strict the upgrade is stripped (the app answers 400), SSE opens
// but gzip holds it back, so the page must end up on long-poll and still
// show a test alert within 15 s, and later ones within 2 s.
func TestStrictProxyDeliversOverLongPoll(t *testing.T) {
	needTools(t)
	t.Parallel()
	r := newRig(t)
	p := openTab(t, r.strict+"/")
	deliver(t, r, p, "poll", 15*time.Second)
	logHas(t, r, `"GET /ws\?since=\d+ HTTP/1.1" 400 `)
	// SSE opened and passed nothing (gzip held it), until the page gave up on it.
	logHas(t, r, `"GET /events\?since=\d+ HTTP/1.1" (200|499) 0 `)
	logHas(t, r, `"GET /poll\?since=\d+&wait=\d+&client=\w+ HTTP/1.1" 200 `)
}

// Behind a proxy that refuses the upgrade with 403: the same.
func TestWebSocketRejectingProxyDeliversOverLongPoll(t *testing.T) {
	needTools(t)
	t.Parallel()
	r := newRig(t)
	p := openTab(t, r.strict+"/", wsToReject)
	deliver(t, r, p, "poll", 15*time.Second)
	logHas(t, r, `"GET /ws-reject\?since=\d+ HTTP/1.1" 403 `)
}

// Behind friendly the page uses WebSocket and stays on it.
func TestFriendlyProxyStaysOnWebSocket(t *testing.T) {
	needTools(t)
	t.Parallel()
	r := newRig(t)
	p := openTab(t, r.friendly+"/")
	p.waitFor(t, 10*time.Second, "on WebSocket", `window.syncmon.state().transport === 'ws'`)
	deliver(t, r, p, "ws", 2*time.Second)
}

// The server stops: within 30 s the page says plainly that it is stale.
// An alert is committed while it is down. The server comes back on the same
// database and port: the page is fresh again, shows that alert and every
// one before, misses none after, and is at the log's head.
func TestServerStopShowsStaleThenRecoversWithoutLoss(t *testing.T) {
	needTools(t)
	for _, tc := range []struct{ proxy, transport string }{{"friendly", "ws"}, {"strict", "poll"}} {
		t.Run(tc.proxy, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			base := r.friendly
			if tc.proxy == "strict" {
				base = r.strict
			}
			p := openTab(t, base+"/")
			before := r.app.alert(t, "before the stop")
			p.waitFor(t, 15*time.Second, "first alert shown", shownJS(before, "before the stop"))
			p.waitFor(t, 5*time.Second, "on "+tc.transport, `window.syncmon.state().transport === '`+tc.transport+`'`)

			stopped := time.Now()
			r.app.halt(t)
			p.waitFor(t, 30*time.Second, "stale banner shown", `!document.getElementById('stale').hidden && window.syncmon.state().stale`)
			t.Logf("stale banner %v after the stop", time.Since(stopped).Round(time.Second))

			// While the server is down an alert reaches the log (as a second
			// node, or the server's own last commit before it died, would).
			st, err := store.Open(context.Background(), r.app.db)
			if err != nil {
				t.Fatal(err)
			}
			whileDown, _, err := st.CreateTestAlert(context.Background(), store.Actor{Name: "e2e"}, "while the server was down")
			st.Close()
			if err != nil {
				t.Fatal(err)
			}

			r.app.start(t)
			restarted := time.Now()
			head := strconv.FormatInt(r.app.head(t), 10)
			p.waitFor(t, 45*time.Second, "fresh again, with the alert committed while down",
				`document.getElementById('stale').hidden && window.syncmon.state().seq === `+head+` && `+
					shownJS(whileDown.ID, "while the server was down"))
			t.Logf("recovered %v after the restart, on %s", time.Since(restarted).Round(time.Second), p.state(t).Transport)

			after := r.app.alert(t, "after the restart")
			p.waitFor(t, 15*time.Second, "alert after the restart shown", shownJS(after, "after the restart"))
			s := p.state(t)
			for _, id := range []int64{before, whileDown.ID, after} {
				if _, ok := s.Alerts[strconv.FormatInt(id, 10)]; !ok {
					t.Errorf("alert %d missing from the page: %v", id, s.Alerts)
				}
			}
			if s.Seq != r.app.head(t) {
				t.Errorf("page at seq %d, log head %d", s.Seq, r.app.head(t))
			}
		})
	}
}

// wsBlockedAtFirst makes every WebSocket of the page's first 6 s fail as a
// blocked upgrade does; later ones go through.
const wsBlockedAtFirst = `(function () {
  var W = window.WebSocket, until = Date.now() + 6000;
  if (!W) { return; }
  var F = function (url, protocols) {
    if (Date.now() < until) {
      var fake = { readyState: 3, close: function () {}, send: function () {} };
      setTimeout(function () { if (fake.onerror) { fake.onerror({}); } if (fake.onclose) { fake.onclose({ code: 1006 }); } }, 50);
      return fake;
    }
    return protocols === undefined ? new W(url) : new W(url, protocols);
  };
  F.prototype = W.prototype;
  F.CONNECTING = 0; F.OPEN = 1; F.CLOSING = 2; F.CLOSED = 3;
  window.WebSocket = F;
}());`

// A page that had to settle for SSE tries WebSocket again every six
// heartbeats and moves up once it delivers, resuming without a gap.
func TestPageMovesUpToWebSocketWhenItStartsWorking(t *testing.T) {
	needTools(t)
	t.Parallel()
	r := newRig(t, func(a *proc) { a.ping = 2 * time.Second }) // a probe every 12 s
	p := openTab(t, r.friendly+"/", wsBlockedAtFirst)
	p.waitFor(t, 15*time.Second, "on SSE while WebSocket fails", `window.syncmon.state().transport === 'sse'`)
	before := r.app.alert(t, "over SSE")
	p.waitFor(t, 2*time.Second, "alert over SSE shown", shownJS(before, "over SSE"))
	p.waitFor(t, 30*time.Second, "moved up to WebSocket", `window.syncmon.state().transport === 'ws'`)
	after := r.app.alert(t, "over WebSocket")
	p.waitFor(t, 2*time.Second, "alert over WebSocket shown", shownJS(after, "over WebSocket"))
	s := p.state(t)
	if !slices.Equal(s.Used, []string{"sse", "ws"}) || s.Seq != r.app.head(t) || len(s.Alerts) != 2 {
		t.Fatalf("used %v, at seq %d of %d with %d alerts; want sse then ws, at the head, 2 alerts", s.Used, s.Seq, r.app.head(t), len(s.Alerts))
	}
}

// A wall display reloads itself when the server it reconnects to runs a
// new version, so that a kiosk left for weeks picks up an upgrade.
func TestKioskReloadsOnANewServerVersion(t *testing.T) {
	needTools(t)
	t.Parallel()
	r := newRig(t)
	p := openTab(t, r.friendly+"/kiosk")
	p.waitFor(t, 10*time.Second, "kiosk on WebSocket", `window.syncmon.state().transport === 'ws' && document.body.getAttribute('data-version').indexOf('e2e+') === 0`)
	r.app.halt(t)
	r.app.version = "e2e-2"
	r.app.start(t)
	p.waitFor(t, 30*time.Second, "kiosk reloaded into the new version", `document.body.getAttribute('data-version').indexOf('e2e-2+') === 0 && !!window.syncmon && window.syncmon.state().transport !== ''`)
}

// dropOneMessage loses the first WebSocket message that mentions "drop me",
// as a buggy proxy or a server that dropped one to a full buffer would.
const dropOneMessage = `(function () {
  var d = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    configurable: true, get: d.get,
    set: function (fn) {
      d.set.call(this, fn && function (m) {
        if (!window.__dropped && typeof m.data === 'string' && m.data.indexOf('drop me') >= 0) { window.__dropped = true; return; }
        return fn.call(this, m);
      });
    }
  });
}());`

// A page that silently missed an event notices from the next heartbeat's
// head (the line is otherwise quiet, so no later seq gives it away) and
// resumes from its last seq, within a heartbeat and the page's 3 s grace.
func TestPageNoticesAMissedEventFromTheHeartbeatHead(t *testing.T) {
	needTools(t)
	t.Parallel()
	r := newRig(t, func(a *proc) { a.ping = 2 * time.Second })
	p := openTab(t, r.friendly+"/", dropOneMessage)
	p.waitFor(t, 10*time.Second, "on WebSocket", `window.syncmon.state().transport === 'ws'`)
	start := time.Now()
	id := r.app.alert(t, "drop me")
	p.waitFor(t, 2*time.Second, "the event lost on the way", `window.__dropped === true`)
	p.waitFor(t, 2*time.Second+3*time.Second+3*time.Second, "the missed alert shown after all", shownJS(id, "drop me"))
	t.Logf("missed event recovered %v after its commit", time.Since(start).Round(100*time.Millisecond))
	if s := p.state(t); s.Seq != r.app.head(t) {
		t.Fatalf("page at seq %d, head %d", s.Seq, r.app.head(t))
	}
}
