/* SyncMon screen client, part 4 of 6: how events arrive. WebSocket, then
 * Server-Sent Events, then long-poll: the first that actually delivers.
 * Resumes by seq after any drop or transport change, probes for a better
 * transport now and then, and shows plainly when the line has gone quiet.
 *
 * Exactly one connection is current (conn) at a time: a message of any
 * other (a replaced connection, a probe) is never handled as an event, and
 * an event at or below lastSeq is never handled twice.
 */
(function () {
  'use strict';
  var S = window.SyncMon, P = S && S.page;
  if (!P) { return; }

  var hooks = null; /* set by start: event(e, replayed), hello(e), reset(done(ok, head)) */
  var lastSeq = P.head;
  var epoch = ''; /* names the log lastSeq belongs to (hello, reset); sent on every resume */
  var pingMs = 10000; /* the server's heartbeat cadence; hello and polls say the real one */
  var pollWait = 10; /* seconds a poll may be held; below any proxy idle timeout seen so far */
  var clientId = Math.random().toString(36).slice(2);
  var lastHeard = 0, gapHead = 0, gapSince = 0, conn = null, resetting = false, everDelivered = false, beats = 0;
  var started = P.now();

  /* the query that resumes from lastSeq: with the log's epoch once known, so
     that a seq of another log (a cluster's stream made anew) gets reset */
  function resumeQuery() { return 'since=' + lastSeq + (epoch ? '&epoch=' + encodeURIComponent(epoch) : ''); }

  function pollMax() { return Math.max(1, Math.min(25, Math.floor(pingMs / 1000))); }
  function setPing(sec) {
    var ms = Math.round(sec * 1000);
    if (ms >= 200 && ms <= 300000) { pingMs = ms; pollWait = Math.min(pollWait, pollMax()); }
  }

  /* handle one message of connection c; messages of a replaced connection are ignored */
  function handle(msg, c) {
    var e;
    try { e = typeof msg === 'string' ? JSON.parse(msg) : msg; } catch (err) { return; }
    if (!e || !e.type || c !== conn) { return; }
    lastHeard = P.now();
    if (!c.delivered) {
      c.delivered = true; backoff = 1000; used.push(c.name); showConn();
      /* a connection after the first resumes with since: whatever it replays up
         to the head it announces is backlog, summed up instead of read out */
      if (everDelivered && typeof e.head === 'number') { c.replayUntil = e.head; }
      everDelivered = true;
    }
    if (e.type === 'hello') {
      P.checkVersion(e.version);
      /* a hello of another log than ours follows a reset, which says so */
      if (!epoch && typeof e.epoch === 'string') { epoch = e.epoch; }
      if (e.ping_seconds) { setPing(e.ping_seconds); }
      hooks.hello(e);
      return;
    }
    if (e.type === 'ping') {
      beats++;
      if (e.head > lastSeq) {
        if (!gapHead) { gapHead = e.head; gapSince = P.now(); }
      } else { gapHead = 0; }
      return;
    }
    if (e.type === 'reset') {
      /* our seq is not in the server's log (too old, or the database went back):
         reload the snapshot, then resume from its head */
      if (resetting) { return; }
      resetting = true;
      if (typeof e.epoch === 'string') { epoch = e.epoch; }
      hooks.reset(function (ok, head) { if (ok) { lastSeq = head; } resetting = false; reconnect(); });
      return;
    }
    if (resetting) { return; }
    if (e.unpersisted) { hooks.event(e, false); return; }           /* not recorded: no seq, shown as is */
    if (typeof e.seq !== 'number' || e.seq <= lastSeq) { return; } /* already seen */
    if (e.seq > lastSeq + 1) { reconnect(); return; }                /* gap: resume from lastSeq */
    lastSeq = e.seq;
    if (gapHead && lastSeq >= gapHead) { gapHead = 0; }
    hooks.event(e, !!c.replayUntil && e.seq <= c.replayUntil);
  }

  /* ---- the three transports ------------------------------------------ */
  /* A transport counts once it delivers (hello, a ping or a poll answer),
     not when it opens: a proxy may let a socket open and then hold
     everything back. */
  var order = ['ws', 'sse', 'poll'], level = 0, used = [];
  var backoff = 1000, maxBackoff = 15000, firstMs = 5000, probeBeats = 6; /* a probe a minute at the default 10 s heartbeat */

  function jitter(ms) { return Math.round(ms / 2 + Math.random() * ms / 2); }
  function slower() { backoff = Math.min(backoff * 2, maxBackoff); }
  /* retry at level lvl after a jittered, growing pause; c stays current (and quiet) meanwhile */
  function later(c, lvl) {
    c.waiting = true;
    setTimeout(function () { if (conn === c) { connect(lvl); } }, jitter(backoff));
    slower();
  }
  /* a message of c: to its probe handler while it is a probe, else handled */
  function deliver(c, data) { if (c.probe) { c.probe(data); } else { handle(data, c); } }

  function openWS(c) {
    if (!window.WebSocket) { return false; }
    var ws, base = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
    try { ws = new WebSocket(base + '/ws?' + resumeQuery()); } catch (e) { return false; }
    ws.onmessage = function (m) { deliver(c, m.data); };
    ws.onclose = function (ev) {
      if (conn !== c) { return; }
      if (ev && ev.code === 1008) { P.reload(); return; } /* credentials revoked: to sign-in */
      lost(c);
    };
    c.close = function () { ws.onclose = null; ws.onmessage = null; try { ws.close(); } catch (e) { /* closed */ } };
    return true;
  }
  function openSSE(c) {
    if (!window.EventSource) { return false; }
    var es = new EventSource('/events?' + resumeQuery());
    es.onmessage = function (m) { deliver(c, m.data); };
    /* EventSource would retry by itself, from the URL's since; we resume ourselves */
    es.onerror = function () { if (conn === c) { es.close(); lost(c); } };
    c.close = function () { es.onmessage = null; es.onerror = null; es.close(); };
    return true;
  }
  function openPoll(c) {
    var stopped = false, x = null, first = true;
    function loop() {
      if (stopped || conn !== c) { return; }
      /* the first poll answers at once: proof that this path delivers */
      var wait = first ? 0 : pollWait, asked = P.now();
      x = P.get('/poll?' + resumeQuery() + '&wait=' + wait + '&client=' + clientId, (wait + 10) * 1000, function (status, text) {
        if (stopped || conn !== c) { return; }
        if (status === 401) { P.reload(); return; } /* signed out or revoked: to sign-in */
        var r = null;
        if (status === 200) { try { r = JSON.parse(text); } catch (e) { r = null; } }
        if (!r || !r.events) {
          /* a proxy cut the hold (504), or the server is away: hold shorter, back off */
          pollWait = Math.max(2, Math.floor(pollWait / 2));
          if (!c.delivered) { lost(c); return; }
          /* it delivered before: keep polling, after a pause (the watchdog leaves a waiting poll alone) */
          c.waiting = true;
          setTimeout(function () { c.waiting = false; loop(); }, jitter(backoff));
          slower();
          return;
        }
        first = false;
        backoff = 1000;
        if (r.ping_seconds) { setPing(r.ping_seconds); }
        /* a full hold went through: lengthen it again, up to the heartbeat */
        if (!r.events.length && wait > 0 && P.now() - asked >= wait * 1000 - 500) { pollWait = Math.min(pollWait + 1, pollMax()); }
        P.checkVersion(r.version);
        handle({ type: 'ping', head: r.head }, c);
        for (var i = 0; i < r.events.length; i++) { handle(r.events[i], c); }
        if (!resetting) { setTimeout(loop, 0); }
      });
    }
    c.close = function () { stopped = true; if (x) { try { x.abort(); } catch (e) { /* gone */ } } };
    loop();
    return true;
  }
  var openers = { ws: openWS, sse: openSSE, poll: openPoll };

  function connect(i) {
    level = i;
    var c = { name: order[i], delivered: false, opened: P.now() };
    conn = c;
    if (!openers[c.name](c)) { next(c); return; }
    showConn();
    setTimeout(function () { if (conn === c && !c.delivered) { c.close(); next(c); } }, firstMs);
  }
  /* c failed to deliver: the next transport, or after the last one, start over later */
  function next(c) {
    if (conn !== c) { return; }
    if (level < order.length - 1) { connect(level + 1); return; }
    later(c, 0);
  }
  /* c was closed under us */
  function lost(c) {
    if (conn !== c) { return; }
    c.close();
    /* it worked before: the same transport again, after a while */
    if (c.delivered) { later(c, level); } else { next(c); }
  }
  /* resume from lastSeq on the same transport, now */
  function reconnect() { if (conn) { var c = conn; conn = null; c.close(); connect(level); } }

  /* every probeBeats heartbeats, try a better transport; move up when it
     delivers. A probe only listens for hello or ping and is closed before
     the move: its events are never handled. */
  var probeNext = 0, lastProbe = P.now();
  function probeUp() {
    if (!conn || level === 0 || !conn.delivered || P.now() - lastProbe < probeBeats * pingMs) { return; }
    lastProbe = P.now();
    if (probeNext >= level) { probeNext = 0; }
    var target = probeNext++, timer = null;
    var probe = { name: order[target], delivered: false };
    probe.probe = function (data) {
      var e; try { e = JSON.parse(data); } catch (err) { return; }
      if (e.type !== 'hello' && e.type !== 'ping') { return; }
      clearTimeout(timer); probe.close();
      if (conn && level > target) { var old = conn; conn = null; old.close(); connect(target); }
    };
    if (!openers[probe.name](probe)) { return; }
    timer = setTimeout(function () { probe.close(); }, firstMs);
  }

  /* watchdog: stale after 2 missed heartbeats, next transport after 3 */
  function isStale() { return P.now() - (lastHeard || started) > 2 * pingMs + 2000; }
  function watch() {
    P.show(P.byId('stale'), isStale());
    if (conn && conn.delivered && !conn.waiting && P.now() - lastHeard > 3 * pingMs + 2000) { var c = conn; c.close(); next(c); }
    if (gapHead && P.now() - gapSince > 3000 && lastSeq < gapHead) { gapHead = 0; reconnect(); }
    if (P.name === 'kiosk') { reloadAfterOutage(); }
    probeUp();
    showConn();
  }

  /* a wall display quiet for 10 minutes reloads itself (fresh snapshot and
     assets), but only once the server answers: reloading into a dead
     server would leave the browser's error page, which never comes back */
  var outageProbe = 0;
  function reloadAfterOutage() {
    var since = lastHeard || started;
    if (P.now() - since < 10 * 60 * 1000 || P.now() - outageProbe < 30000) { return; }
    outageProbe = P.now();
    P.get('/healthz', 10000, function (status) { if (status === 200) { P.reload(); } });
  }

  function showConn() {
    var el = P.byId('conn'), tr = P.byId('conn-transport'), age = P.byId('conn-age');
    if (!el) { return; }
    P.show(el, true);
    if (tr) { tr.textContent = P.label('transport_' + (conn && conn.delivered ? conn.name : 'none')); }
    if (age) { age.textContent = lastHeard ? P.label('seconds_ago', Math.round((P.now() - lastHeard) / 1000)) : '\u2014'; }
    el.className = 'conn' + (lastHeard && P.now() - lastHeard > pingMs + 3000 ? ' late' : '');
  }

  S.transport = {
    /* start connects, from seq head; h: the hooks above */
    start: function (h, head) {
      hooks = h;
      if (head) { lastSeq = head; }
      P.afterSwap(showConn);
      setInterval(watch, 1000);
      connect(0);
    },
    state: function () {
      return { seq: lastSeq, epoch: epoch, transport: conn && conn.delivered ? conn.name : '', used: used.slice(),
        stale: isStale(), pingMs: pingMs, pollWait: pollWait, beats: beats };
    }
  };
}());
