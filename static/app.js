/* SyncMon screen client: plain ES5, no build step, no libraries.
 *
 * It receives events over the first transport that actually delivers
 * (WebSocket, then Server-Sent Events, then long-poll), resumes by seq after
 * any drop or transport change, shows the newest alert, speaks it, repeats
 * while unacknowledged critical alerts exist, and shows plainly when the
 * line has gone quiet. The page itself is server-rendered: on a change the
 * client re-fetches it and swaps <main>, so what it shows is what the server
 * renders with JS off.
 */
(function () {
  'use strict';
  var body = document.body;
  if (!body || !body.getAttribute('data-page')) { return; }
  var page = body.getAttribute('data-page');
  var lang = body.getAttribute('data-lang') === 'ko' ? 'ko' : 'en';
  var version = body.getAttribute('data-version');
  var lastSeq = parseInt(body.getAttribute('data-head'), 10) || 0;
  var pingMs = 10000; /* the server's heartbeat cadence; hello and polls say the real one */
  var repeatMs = (parseInt(body.getAttribute('data-speech-repeat'), 10) || 60) * 1000;
  var clientId = Math.random().toString(36).slice(2);
  var T = {
    en: { ws: 'WebSocket', sse: 'SSE', poll: 'long-poll', none: 'offline', ago: 's ago', many: ' new alerts', enabled: 'Sound on' },
    ko: { ws: 'WebSocket', sse: 'SSE', poll: '롱폴링', none: '끊김', ago: '초 전', many: '건의 새 경보가 있습니다', enabled: '음성 알림이 켜졌습니다' }
  }[lang];

  function $(id) { return document.getElementById(id); }
  function now() { return new Date().getTime(); }
  function show(el, on) { if (el) { if (on) { el.removeAttribute('hidden'); } else { el.setAttribute('hidden', ''); } } }

  /* ---- state: active alerts by id ---------------------------------- */
  var alerts = {};
  function loadState(done) {
    get('/api/state', 10000, function (status, text) {
      if (status !== 200) { if (done) { done(false); } return; }
      var st;
      try { st = JSON.parse(text); } catch (e) { if (done) { done(false); } return; }
      alerts = {};
      for (var i = 0; i < (st.alerts || []).length; i++) { alerts[st.alerts[i].id] = st.alerts[i]; }
      lastSeq = st.head || 0;
      refreshBanner();
      if (done) { done(true); }
    });
  }

  /* ---- HTTP helper ---------------------------------------------------- */
  function get(url, timeoutMs, cb) {
    var x = new XMLHttpRequest();
    var finished = false;
    x.open('GET', url, true);
    x.timeout = timeoutMs;
    x.setRequestHeader('Accept', url.indexOf('/api/') === 0 || url.indexOf('/poll') === 0 ? 'application/json' : 'text/html');
    x.onreadystatechange = function () {
      if (x.readyState === 4 && !finished) { finished = true; cb(x.status, x.responseText); }
    };
    x.ontimeout = function () { if (!finished) { finished = true; cb(0, ''); } };
    x.send();
    return x;
  }

  /* ---- page refresh: swap <main> with the server's rendering --------- */
  var refreshTimer = null;
  function scheduleRefresh() {
    if (refreshTimer) { return; }
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      get(location.pathname + location.search, 10000, function (status, html) {
        if (status !== 200 || !window.DOMParser) { return; }
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.querySelector('main'), cur = document.querySelector('main');
        var ae = document.activeElement;
        var typing = ae && cur && cur.contains(ae) && (ae.tagName === 'TEXTAREA' || ae.tagName === 'INPUT');
        if (fresh && cur && !typing) { cur.innerHTML = fresh.innerHTML; }
      });
    }, 300);
  }
  setInterval(scheduleRefresh, 30000);

  /* ---- events ---------------------------------------------------------- */
  var lastHeard = 0, gapHead = 0, gapSince = 0, burst = [], burstTimer = null, conn = null, resetting = false;
  var started = now();

  function setPing(sec) {
    var ms = Math.round(sec * 1000);
    if (ms >= 200 && ms <= 300000) { pingMs = ms; pollWait = Math.min(pollWait, pollMax()); }
  }

  /* handle one message of connection c; messages of a replaced connection are ignored */
  function handle(msg, c) {
    var e;
    try { e = typeof msg === 'string' ? JSON.parse(msg) : msg; } catch (err) { return; }
    if (!e || !e.type || c !== conn) { return; }
    lastHeard = now();
    if (!c.delivered) { c.delivered = true; backoff = 1000; used.push(c.name); showConn(); }
    if (e.type === 'hello') {
      if (version && e.version && e.version !== version && page === 'kiosk') { location.reload(); }
      if (e.speech_repeat_seconds) { repeatMs = e.speech_repeat_seconds * 1000; }
      if (e.ping_seconds) { setPing(e.ping_seconds); }
      return;
    }
    if (e.type === 'ping') {
      if (e.head > lastSeq) {
        if (!gapHead) { gapHead = e.head; gapSince = now(); }
      } else { gapHead = 0; }
      return;
    }
    if (e.type === 'reset') {
      /* our seq is not in the server's log (too old, or the database went back):
         reload the snapshot, then resume from its head */
      if (resetting) { return; }
      resetting = true;
      loadState(function () { resetting = false; scheduleRefresh(); reconnect(); });
      return;
    }
    if (resetting) { return; }
    if (typeof e.seq !== 'number' || e.seq <= lastSeq) { return; } /* already seen */
    if (e.seq > lastSeq + 1) { reconnect(); return; }                /* gap: resume from lastSeq */
    lastSeq = e.seq;
    if (gapHead && lastSeq >= gapHead) { gapHead = 0; }
    apply(e);
  }

  function apply(e) {
    var a = e.alert;
    if (a) {
      if (a.state === 'resolved') { delete alerts[a.id]; } else { alerts[a.id] = a; }
      if ((e.type === 'alert.opened' || (e.type === 'alert.updated' && a.state === 'open')) && a.state === 'open' && !a.silenced) {
        burst.push(a);
        if (!burstTimer) { burstTimer = setTimeout(speakBurst, 400); }
      }
      if (e.type === 'alert.acked' || e.type === 'alert.resolved') { stopSpeechIfQuiet(); }
      refreshBanner();
    }
    scheduleRefresh();
  }

  /* ---- banner ---------------------------------------------------------- */
  function worstOpen() {
    var best = null;
    for (var id in alerts) {
      if (!alerts.hasOwnProperty(id)) { continue; }
      var a = alerts[id];
      if (a.state !== 'open') { continue; }
      if (!best || rank(a) > rank(best) || (rank(a) === rank(best) && a.id > best.id)) { best = a; }
    }
    return best;
  }
  function rank(a) { return a.severity === 'critical' ? 2 : a.severity === 'warning' ? 1 : 0; }
  function textOf(a) { return (a.speech && a.speech[lang]) || a.message; }
  function refreshBanner() {
    var b = $('banner'), a = worstOpen();
    if (!b) { return; }
    if (!a) { show(b, false); b.className = 'banner'; return; }
    b.className = 'banner sev-' + (a.severity === 'critical' ? 'crit' : 'warn');
    while (b.firstChild) { b.removeChild(b.firstChild); }
    var link = document.createElement('a');
    link.href = '/alerts/' + a.id;
    link.appendChild(document.createTextNode(textOf(a)));
    b.appendChild(link);
    show(b, true);
  }

  /* ---- speech ---------------------------------------------------------- */
  var mutedUntil = 0, lastSpoken = 0, speakingSince = 0;
  function speakBurst() {
    burstTimer = null;
    var list = burst; burst = [];
    if (!list.length) { return; }
    if (list.length === 1) { speak(textOf(list[0]), list[0].id); } else { speak(list.length + T.many, 0); }
  }
  function pickVoice() {
    if (!window.speechSynthesis) { return null; }
    var vs = window.speechSynthesis.getVoices() || [], want = lang === 'ko' ? 'ko' : 'en';
    for (var i = 0; i < vs.length; i++) { if ((vs[i].lang || '').toLowerCase().replace('_', '-').indexOf(want) === 0) { return vs[i]; } }
    return null;
  }
  function speak(text, alertId) {
    if (now() < mutedUntil || !text) { return; }
    lastSpoken = now();
    chime();
    var ss = window.speechSynthesis;
    if (!ss || !window.SpeechSynthesisUtterance) { serverSpeech(alertId); return; }
    if (ss.speaking && speakingSince && now() - speakingSince > 20000) { ss.cancel(); } /* a stuck queue */
    var u = new window.SpeechSynthesisUtterance(text);
    u.lang = lang === 'ko' ? 'ko-KR' : 'en-US';
    var v = pickVoice();
    if (v) { u.voice = v; } else if (ss.getVoices().length > 0 && alertId) { serverSpeech(alertId); return; }
    u.onstart = function () { speakingSince = now(); };
    u.onend = function () { speakingSince = 0; };
    u.onerror = function (ev) {
      speakingSince = 0;
      if (ev && ev.error === 'not-allowed') { show($('sound'), true); }
    };
    setTimeout(function () { ss.speak(u); }, 350);
  }
  function serverSpeech(alertId) {
    if (!alertId || !window.Audio) { return; }
    var audio = new window.Audio('/api/tts?alert=' + alertId + '&lang=' + lang);
    var p = audio.play();
    if (p && p['catch']) { p['catch'](function () { show($('sound'), true); }); }
  }
  var audioCtx = null;
  function chime() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) { return; }
    try {
      audioCtx = audioCtx || new AC();
      if (audioCtx.state === 'suspended' && audioCtx.resume) { audioCtx.resume(); }
      var o = audioCtx.createOscillator(), g = audioCtx.createGain(), t = audioCtx.currentTime;
      o.frequency.value = 880; g.gain.setValueAtTime(0.0001, t);
      g.gain.exponentialRampToValueAtTime(0.3, t + 0.02); g.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      o.connect(g); g.connect(audioCtx.destination); o.start(t); o.stop(t + 0.32);
    } catch (err) { /* no audio: speech still runs */ }
  }
  function stopSpeechIfQuiet() {
    var a = worstOpen();
    if ((!a || a.severity !== 'critical') && window.speechSynthesis) { window.speechSynthesis.cancel(); }
  }
  setInterval(function () {
    var a = worstOpen();
    if (a && a.severity === 'critical' && now() - lastSpoken >= repeatMs) { speak(textOf(a), a.id); }
  }, 1000);
  var soundBtn = $('enable-sound');
  if (soundBtn) {
    soundBtn.onclick = function () {
      show($('sound'), false);
      if (window.speechSynthesis && window.SpeechSynthesisUtterance) {
        var u = new window.SpeechSynthesisUtterance(T.enabled);
        u.lang = lang === 'ko' ? 'ko-KR' : 'en-US';
        window.speechSynthesis.speak(u);
      }
      chime();
    };
  }
  var muteBtn = $('mute');
  if (muteBtn) {
    muteBtn.onclick = function () {
      mutedUntil = now() + 15 * 60 * 1000;
      if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
    };
  }

  /* ---- transports ------------------------------------------------------ */
  /* WebSocket, then SSE, then long-poll. A transport counts once it delivers
     (hello, a ping or a poll answer), not when it opens: a proxy may let a
     socket open and then hold everything back. */
  var order = ['ws', 'sse', 'poll'], level = 0, used = [];
  var backoff = 1000, maxBackoff = 15000, firstMs = 5000, probeBeats = 6; /* a probe a minute at the default 10 s heartbeat */
  var pollWait = 10; /* seconds a poll may be held; below any proxy idle timeout seen so far */

  function pollMax() { return Math.max(1, Math.min(25, Math.floor(pingMs / 1000))); }
  function jitter(ms) { return Math.round(ms / 2 + Math.random() * ms / 2); }
  function slower() { backoff = Math.min(backoff * 2, maxBackoff); }
  /* retry at level lvl after a jittered, growing pause; c stays current (and quiet) meanwhile */
  function later(c, lvl) {
    c.waiting = true;
    setTimeout(function () { if (conn === c) { connect(lvl); } }, jitter(backoff));
    slower();
  }
  function base() { return location.protocol === 'https:' ? 'wss://' + location.host : 'ws://' + location.host; }

  function openWS(c) {
    if (!window.WebSocket) { return false; }
    var ws;
    try { ws = new WebSocket(base() + '/ws?since=' + lastSeq); } catch (e) { return false; }
    ws.onmessage = function (m) { if (c.probe) { c.probe(m.data); } else { handle(m.data, c); } };
    ws.onclose = function () { if (conn === c) { lost(c); } };
    c.close = function () { ws.onclose = null; ws.onmessage = null; try { ws.close(); } catch (e) { /* closed */ } };
    return true;
  }
  function openSSE(c) {
    if (!window.EventSource) { return false; }
    var es = new EventSource('/events?since=' + lastSeq);
    es.onmessage = function (m) { if (c.probe) { c.probe(m.data); } else { handle(m.data, c); } };
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
      var wait = first ? 0 : pollWait, asked = now();
      x = get('/poll?since=' + lastSeq + '&wait=' + wait + '&client=' + clientId, (wait + 10) * 1000, function (status, text) {
        if (stopped || conn !== c) { return; }
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
        if (!r.events.length && wait > 0 && now() - asked >= wait * 1000 - 500) { pollWait = Math.min(pollWait + 1, pollMax()); }
        if (r.version && version && r.version !== version && page === 'kiosk') { location.reload(); }
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
    var c = { name: order[i], delivered: false, opened: now() };
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

  /* every probeBeats heartbeats, try a better transport; move up when it delivers */
  var probeNext = 0, lastProbe = now();
  function probeUp() {
    if (!conn || level === 0 || !conn.delivered || now() - lastProbe < probeBeats * pingMs) { return; }
    lastProbe = now();
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
  function isStale() { return now() - (lastHeard || started) > 2 * pingMs + 2000; }
  setInterval(function () {
    show($('stale'), isStale());
    if (conn && conn.delivered && !conn.waiting && now() - lastHeard > 3 * pingMs + 2000) { var c = conn; c.close(); next(c); }
    if (gapHead && now() - gapSince > 3000 && lastSeq < gapHead) { gapHead = 0; reconnect(); }
    if (page === 'kiosk' && lastHeard && now() - lastHeard > 10 * 60 * 1000) { location.reload(); }
    probeUp();
    showConn();
  }, 1000);

  function showConn() {
    var el = $('conn'), tr = $('conn-transport'), age = $('conn-age');
    if (!el) { return; }
    show(el, true);
    if (tr) { tr.textContent = conn && conn.delivered ? T[conn.name] : T.none; }
    if (age) { age.textContent = lastHeard ? Math.round((now() - lastHeard) / 1000) + T.ago : '—'; }
    el.className = 'conn' + (lastHeard && now() - lastHeard > pingMs + 3000 ? ' late' : '');
  }

  /* for tests and the curious: what this screen has and how it gets it */
  window.syncmon = {
    state: function () {
      return { seq: lastSeq, transport: conn && conn.delivered ? conn.name : '', used: used.slice(),
        stale: isStale(), pingMs: pingMs, pollWait: pollWait, alerts: alerts };
    }
  };
  loadState(function () { connect(0); });
}());
