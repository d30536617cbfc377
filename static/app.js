/* SyncMon screen client: plain ES5, no build step, no libraries.
 *
 * It receives events over the first transport that actually delivers
 * (WebSocket, then Server-Sent Events, then long-poll), resumes by seq after
 * any drop or transport change, shows the newest alert, announces it (a
 * chime, then the sentence in the page's language), repeats while
 * unacknowledged critical alerts exist, and shows plainly when the line has
 * gone quiet. The page itself is server-rendered: on a change the client
 * re-fetches it and swaps <main>, so what it shows is what the server renders
 * with JS off.
 */
(function () {
  'use strict';
  var body = document.body;
  if (!body || !body.getAttribute('data-page')) { return; }
  var page = body.getAttribute('data-page');
  /* the sign-in form has no screen to keep live (and no credentials for one) */
  if (page === 'login') { return; }
  var lang = body.getAttribute('data-lang') === 'ko' ? 'ko' : 'en';
  var version = body.getAttribute('data-version');
  var chimeUrl = body.getAttribute('data-chime');
  var lastSeq = parseInt(body.getAttribute('data-head'), 10) || 0;
  var pingMs = 10000; /* the server's heartbeat cadence; hello and polls say the real one */
  var repeatMs = (parseInt(body.getAttribute('data-speech-repeat'), 10) || 60) * 1000;
  var clientId = Math.random().toString(36).slice(2);
  var T = {
    en: { ws: 'WebSocket', sse: 'SSE', poll: 'long-poll', none: 'offline', ago: 's ago',
      many: function (n) { return n + ' new alerts.'; },
      back: function (n) { return 'Reconnected. ' + n + (n === 1 ? ' new alert' : ' new alerts') + ' while disconnected.'; },
      enabled: 'Sound on.', mute: 'Mute 15 min', unmute: function (m) { return 'Muted, ' + m + ' min left: unmute'; } },
    ko: { ws: 'WebSocket', sse: 'SSE', poll: '롱폴링', none: '끊김', ago: '초 전',
      many: function (n) { return '새 경보가 ' + n + '건 있습니다.'; },
      back: function (n) { return '연결이 복구되었습니다. 끊긴 동안 새 경보 ' + n + '건.'; },
      enabled: '음성 알림이 켜졌습니다.', mute: '15분 음소거', unmute: function (m) { return '음소거 중, ' + m + '분 남음: 해제'; } }
  }[lang];

  function $(id) { return document.getElementById(id); }
  function now() { return new Date().getTime(); }
  function show(el, on) { if (el) { if (on) { el.removeAttribute('hidden'); } else { el.setAttribute('hidden', ''); } } }
  /* per-tab memory that survives a reload (mute, reload guard); absent in some locked-down browsers */
  function recall(k) { try { return window.sessionStorage ? window.sessionStorage.getItem(k) : null; } catch (e) { return null; } }
  function remember(k, v) { try { if (window.sessionStorage) { window.sessionStorage.setItem(k, v); } } catch (e) { /* private mode */ } }
  /* reload, at most once in 10 s (later, not never): a page that keeps
     failing must not spin */
  var reloading = false;
  function reloadPage() {
    if (reloading) { return; }
    reloading = true;
    var last = parseInt(recall('syncmon.reloaded'), 10) || 0;
    setTimeout(function () {
      remember('syncmon.reloaded', String(now()));
      location.reload();
    }, Math.max(0, Math.min(10000, last + 10000 - now())));
  }

  /* ---- state: active alerts by id ---------------------------------- */
  var alerts = {};
  function loadState(done) {
    get('/api/state', 10000, function (status, text) {
      if (status === 401) { reloadPage(); return; } /* signed out or revoked: the page goes to sign-in */
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
        /* a page of another kind came back (the sign-in form: the session
           ended): go there properly instead of pasting it in */
        if (doc.body && doc.body.getAttribute('data-page') !== page) { reloadPage(); return; }
        var fresh = doc.querySelector('main'), cur = document.querySelector('main');
        if (fresh && cur && !editing(cur)) { cur.innerHTML = fresh.innerHTML; showMute(); showConn(); }
      });
    }, 300);
  }
  setInterval(scheduleRefresh, 30000);
  /* someone is filling in a form in el (focused, or typed into and left):
     a refresh would throw that away */
  function editing(el) {
    var ae = document.activeElement;
    if (ae && el.contains(ae) && (ae.tagName === 'TEXTAREA' || ae.tagName === 'INPUT' || ae.tagName === 'SELECT')) { return true; }
    var fields = el.querySelectorAll('textarea, input');
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type !== 'hidden' && f.type !== 'checkbox' && f.type !== 'radio' && f.value !== f.defaultValue) { return true; }
    }
    return false;
  }

  /* ---- events ---------------------------------------------------------- */
  var lastHeard = 0, gapHead = 0, gapSince = 0, conn = null, resetting = false, everDelivered = false, beats = 0;
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
    if (!c.delivered) {
      c.delivered = true; backoff = 1000; used.push(c.name); showConn();
      /* a connection after the first resumes with since: whatever it replays up
         to the head it announces is backlog, summed up instead of read out */
      if (everDelivered && typeof e.head === 'number') { c.replayUntil = e.head; }
      everDelivered = true;
    }
    if (e.type === 'hello') {
      if (version && e.version && e.version !== version && page === 'kiosk') { reloadPage(); }
      if (e.speech_repeat_seconds) { repeatMs = e.speech_repeat_seconds * 1000; }
      if (e.ping_seconds) { setPing(e.ping_seconds); }
      return;
    }
    if (e.type === 'ping') {
      beats++;
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
    apply(e, !!c.replayUntil && e.seq <= c.replayUntil);
  }

  /* worth announcing: an alert that opens, rises in severity over what this
     page knew, or leaves a silence while still open; never a silenced one */
  function announces(type, prev, a) {
    if (a.state !== 'open' || a.silenced) { return false; }
    if (type === 'alert.opened') { return true; }
    if (type !== 'alert.updated') { return false; }
    return !prev || rank(a) > rank(prev) || (!!prev.silenced && !a.silenced);
  }

  function apply(e, replayed) {
    var a = e.alert;
    if (a) {
      var prev = alerts[a.id];
      if (a.state === 'resolved') { delete alerts[a.id]; } else { alerts[a.id] = a; }
      if (announces(e.type, prev, a)) { queue(a, replayed); }
      quietIfDone();
      refreshBanner();
    }
    scheduleRefresh();
  }

  /* ---- banner ---------------------------------------------------------- */
  /* the alert that most needs attention: open (not acked), not silenced,
     worst severity, newest */
  function worstOpen(criticalOnly) {
    var best = null;
    for (var id in alerts) {
      if (!alerts.hasOwnProperty(id)) { continue; }
      var a = alerts[id];
      if (!needsAttention(a) || (criticalOnly && a.severity !== 'critical')) { continue; }
      if (!best || rank(a) > rank(best) || (rank(a) === rank(best) && a.id > best.id)) { best = a; }
    }
    return best;
  }
  function needsAttention(a) { return !!a && a.state === 'open' && !a.silenced; }
  function rank(a) { return a.severity === 'critical' ? 2 : a.severity === 'warning' ? 1 : 0; }
  function textOf(a) { return (a.speech && a.speech[lang]) || a.message; }
  function refreshBanner() {
    var b = $('banner'), a = worstOpen(false);
    if (!b) { return; }
    if (!a) { show(b, false); b.className = 'banner'; return; }
    b.className = 'banner sev-' + (a.severity === 'critical' ? 'crit' : 'warn');
    while (b.firstChild) { b.removeChild(b.firstChild); }
    var link = document.createElement('a');
    link.href = '/alerts/' + a.id;
    link.appendChild(document.createTextNode((a.severity === 'critical' ? '\u2716 ' : '\u25B2 ') + textOf(a)));
    b.appendChild(link);
    show(b, true);
  }

  /* ---- what to say ------------------------------------------------------ */
  /* Live alerts arriving together (400 ms) are one burst: one alert is read
     out, several get one summary sentence. Replayed ones (a connection that
     resumed with since) are never read out: one summary once the replay is in. */
  var burst = [], burstTimer = null, replayed = [], replayTimer = null;
  function queue(a, isReplay) {
    if (isReplay) {
      replayed.push(a.id);
      if (!replayTimer) { replayTimer = setTimeout(flushReplay, 1000); }
      return;
    }
    burst.push(a.id);
    if (!burstTimer) { burstTimer = setTimeout(flushBurst, 400); }
  }
  /* the ids whose alerts still need attention now, worst first */
  function stillOpen(ids) {
    var out = [], seen = {};
    for (var i = 0; i < ids.length; i++) {
      var a = alerts[ids[i]];
      if (needsAttention(a) && !seen[a.id]) { seen[a.id] = true; out.push(a); }
    }
    out.sort(function (x, y) { return rank(y) - rank(x) || y.id - x.id; });
    return out;
  }
  function flushBurst() {
    burstTimer = null;
    var list = stillOpen(burst); burst = [];
    if (list.length === 1) { announce(textOf(list[0]), list[0]); } else if (list.length > 1) { announce(T.many(list.length), list[0]); }
  }
  function flushReplay() {
    replayTimer = null;
    var list = stillOpen(replayed); replayed = [];
    if (list.length) { announce(T.back(list.length), list[0]); }
  }

  /* ---- how it is said: chime, then voice, server speech, or chime alone ---- */
  var mutedUntil = parseInt(recall('syncmon.mutedUntil'), 10) || 0;
  var lastSpoken = 0, job = null, refused = false, checks = 0, announced = 0;
  var keep = []; /* utterances referenced until they end: Chrome may drop the events of a collected one */
  function ss() { return window.speechSynthesis && window.SpeechSynthesisUtterance ? window.speechSynthesis : null; }

  /* announce says text (for alert a, whose own speech the server can render
     when the browser has no voice). A new announcement replaces one in progress. */
  function announce(text, a) {
    if (now() < mutedUntil || !text) { return; }
    stopJob();
    var j = { alertId: a ? a.id : 0, text: text, ended: false, timers: [] };
    job = j;
    lastSpoken = now();
    announced++;
    chime(j, function () { withVoices(function (vs) { say(j, vs); }); });
  }
  function finish(j) {
    if (j.ended) { return; }
    j.ended = true;
    for (var i = 0; i < j.timers.length; i++) { clearTimeout(j.timers[i]); }
    if (j.audio) { j.audio.onended = j.audio.onerror = null; }
    if (job === j) { job = null; }
  }
  function stopJob() {
    var j = job;
    if (!j) { return; }
    finish(j);
    if (j.audio) { try { j.audio.pause(); } catch (e) { /* gone */ } }
    if (j.spoke && ss()) { ss().cancel(); }
  }
  /* an ack, resolve or silence anywhere: stop announcing what no longer needs it */
  function quietIfDone() {
    if (job && job.alertId && !needsAttention(alerts[job.alertId])) { stopJob(); }
  }
  function refusedSound() {
    if (refused) { return; }
    refused = true;
    show($('sound'), true);
  }

  var chimeEl = null, audioCtx = null;
  /* the embedded chime through an <audio> element; the oscillator when there
     is none or it cannot play the file; then next, whatever happened */
  function chime(j, next) {
    var called = false;
    function go() { if (!called && job === j) { called = true; next(); } }
    j.timers.push(setTimeout(go, 2500));
    if (!chimeUrl || !window.Audio) { beep(); j.timers.push(setTimeout(go, 350)); return; }
    try {
      chimeEl = chimeEl || new window.Audio(chimeUrl);
      chimeEl.onended = go;
      chimeEl.onerror = function () { beep(); j.timers.push(setTimeout(go, 350)); };
      try { chimeEl.currentTime = 0; } catch (e) { /* not loaded yet */ }
      var p = chimeEl.play();
      if (p && p.then) {
        p.then(null, function (err) {
          if (err && err.name === 'NotAllowedError') { refusedSound(); }
          beep(); j.timers.push(setTimeout(go, 350));
        });
      }
    } catch (e) { beep(); j.timers.push(setTimeout(go, 350)); }
  }
  function beep() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) { return; }
    try {
      audioCtx = audioCtx || new AC();
      if (audioCtx.state === 'suspended' && audioCtx.resume) { audioCtx.resume(); }
      var o = audioCtx.createOscillator(), g = audioCtx.createGain(), t = audioCtx.currentTime;
      o.frequency.value = 880; g.gain.setValueAtTime(0.0001, t);
      g.gain.exponentialRampToValueAtTime(0.3, t + 0.02); g.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      o.connect(g); g.connect(audioCtx.destination); o.start(t); o.stop(t + 0.32);
    } catch (err) { /* no audio at all: the page still shows the alert */ }
  }

  /* voices load asynchronously: wait for voiceschanged (2 s at most) before
     deciding there is none for this language */
  var voicesWaited = false, voiceWaiters = [];
  function voices() {
    try { return (ss() && ss().getVoices()) || []; } catch (e) { return []; }
  }
  function withVoices(cb) {
    var s = ss(), vs = voices();
    if (!s || vs.length || voicesWaited) { cb(vs); return; }
    voiceWaiters.push(cb);
    if (voiceWaiters.length > 1) { return; }
    var done = false;
    function ready() {
      if (done) { return; }
      done = true; voicesWaited = true;
      var w = voiceWaiters; voiceWaiters = [];
      for (var i = 0; i < w.length; i++) { w[i](voices()); }
    }
    if (s.addEventListener) { s.addEventListener('voiceschanged', ready); } else { s.onvoiceschanged = ready; }
    setTimeout(ready, 2000);
  }
  /* a voice for ko-KR or en-*, local ones first (online voices fail offline) */
  function pickVoice(vs) {
    var want = lang === 'ko' ? 'ko' : 'en', best = null, score = -1;
    for (var i = 0; i < vs.length; i++) {
      var l = String(vs[i].lang || '').toLowerCase().replace('_', '-');
      if (l !== want && l.indexOf(want + '-') !== 0) { continue; }
      var sc = (vs[i].localService ? 4 : 0) + (l === (lang === 'ko' ? 'ko-kr' : 'en-us') ? 2 : 0) + (vs[i]['default'] ? 1 : 0);
      if (sc > score) { best = vs[i]; score = sc; }
    }
    return best;
  }
  function say(j, vs) {
    if (job !== j) { return; }
    var s = ss(), v = s ? pickVoice(vs) : null;
    if (!v) { serverSpeech(j); return; }
    if (s.speaking || s.pending) { s.cancel(); } /* a stuck or stale queue */
    var u = new window.SpeechSynthesisUtterance(j.text);
    u.lang = lang === 'ko' ? 'ko-KR' : 'en-US';
    try { u.voice = v; } catch (e) { /* lang alone then */ }
    var begun = false;
    keep.push(u);
    function done() { for (var i = 0; i < keep.length; i++) { if (keep[i] === u) { keep.splice(i, 1); break; } } }
    u.onstart = function () { begun = true; };
    u.onend = function () { done(); finish(j); };
    u.onerror = function (ev) {
      done();
      var why = ev && ev.error;
      if (why === 'not-allowed') { refusedSound(); finish(j); return; }
      if (why === 'interrupted' || why === 'canceled') { finish(j); return; }
      if (job === j && !j.ended) { serverSpeech(j); } /* synthesis-failed, voice-unavailable …: the server's voice */
    };
    j.spoke = true;
    s.speak(u);
    /* a queue that never starts, or never ends, is stuck: clear it */
    j.timers.push(setTimeout(function () {
      if (!begun && job === j && !j.ended) { s.cancel(); done(); serverSpeech(j); }
    }, 5000));
    j.timers.push(setTimeout(function () { if (job === j && !j.ended) { s.cancel(); done(); finish(j); } }, 20000));
  }
  /* the server's espeak-ng rendering of the alert's own text; a 404 (not
     installed) or any error leaves the chime alone */
  function serverSpeech(j) {
    if (job !== j || j.ended) { return; }
    if (!j.alertId || !window.Audio || j.audio) { finish(j); return; }
    var el;
    try { el = new window.Audio('/api/tts?alert=' + j.alertId + '&lang=' + lang); } catch (e) { finish(j); return; }
    j.audio = el;
    el.onended = function () { finish(j); };
    el.onerror = function () { finish(j); };
    j.timers.push(setTimeout(function () { finish(j); }, 30000));
    var p = el.play();
    if (p && p.then) {
      p.then(null, function (err) {
        if (err && err.name === 'NotAllowedError') { refusedSound(); }
        finish(j);
      });
    }
  }

  /* repeat while unacknowledged, unsilenced critical alerts exist */
  setInterval(function () {
    checks++;
    var a = worstOpen(true);
    if (a && !job && now() - lastSpoken >= repeatMs) { announce(textOf(a), a); }
    showMute();
  }, 1000);

  function enableSound() {
    show($('sound'), false);
    refused = false;
    /* inside the click: both unlock audio and speech for this document */
    if (chimeUrl && window.Audio) {
      try { chimeEl = chimeEl || new window.Audio(chimeUrl); var p = chimeEl.play(); if (p && p.then) { p.then(null, function () {}); } } catch (e) { /* none */ }
    }
    beep();
    var a = worstOpen(true);
    if (a) { lastSpoken = 0; return; } /* the repeat loop says it at once */
    if (ss()) {
      var u = new window.SpeechSynthesisUtterance(T.enabled);
      u.lang = lang === 'ko' ? 'ko-KR' : 'en-US';
      keep.push(u);
      ss().speak(u);
    }
  }
  function toggleMute() {
    if (now() < mutedUntil) {
      mutedUntil = 0;
    } else {
      mutedUntil = now() + 15 * 60 * 1000;
      stopJob();
    }
    remember('syncmon.mutedUntil', String(mutedUntil));
    showMute();
  }
  function showMute() {
    var b = $('mute');
    if (!b) { return; }
    var left = mutedUntil - now();
    var label = left > 0 ? T.unmute(Math.ceil(left / 60000)) : T.mute;
    if (b.textContent !== label) { b.textContent = label; }
    b.className = left > 0 ? 'mute on' : 'mute';
    b.setAttribute('aria-pressed', left > 0 ? 'true' : 'false');
    show(b, true);
  }
  /* delegated: the kiosk's button lives in <main>, which refreshes replace */
  document.addEventListener('click', function (ev) {
    var t = ev.target;
    while (t && t !== document && !t.id) { t = t.parentNode; }
    if (!t || !t.id) { return; }
    if (t.id === 'mute') { toggleMute(); } else if (t.id === 'enable-sound') { enableSound(); }
  }, false);
  showMute();

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
    ws.onclose = function (ev) {
      if (conn !== c) { return; }
      if (ev && ev.code === 1008) { reloadPage(); return; } /* credentials revoked: to sign-in */
      lost(c);
    };
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
        if (status === 401) { reloadPage(); return; } /* signed out or revoked: to sign-in */
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
        if (r.version && version && r.version !== version && page === 'kiosk') { reloadPage(); }
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
    if (page === 'kiosk') { reloadAfterOutage(); }
    probeUp();
    showConn();
  }, 1000);

  /* a wall display quiet for 10 minutes reloads itself (fresh snapshot and
     assets), but only once the server answers: reloading into a dead
     server would leave the browser's error page, which never comes back */
  var outageProbe = 0;
  function reloadAfterOutage() {
    var since = lastHeard || started;
    if (now() - since < 10 * 60 * 1000 || now() - outageProbe < 30000) { return; }
    outageProbe = now();
    get('/healthz', 10000, function (status) { if (status === 200) { reloadPage(); } });
  }

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
        stale: isStale(), pingMs: pingMs, pollWait: pollWait, alerts: alerts, beats: beats,
        repeatMs: repeatMs, checks: checks, announced: announced, speaking: !!job, refused: refused,
        muted: now() < mutedUntil };
    }
  };
  loadState(function () { connect(0); });
}());
