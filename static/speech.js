/* SyncMon screen client, part 3 of 6: what is said and how. A chime, then
 * the sentence in the page's language (the browser's voice, else the
 * server's rendering, else the chime alone); repeated while unacknowledged
 * critical alerts exist; a mute button; a one-click prompt when the browser
 * refuses sound.
 *
 * Each alert is said once per reason: the live path (a burst), the backlog
 * summary and the repeat loop never announce the same thing twice. The
 * repeat loop waits while a burst or backlog is still to be said, and an
 * announcement identical to the one just made is dropped.
 */
(function () {
  'use strict';
  var S = window.SyncMon, P = S && S.page, A = S && S.alerts;
  if (!P || !A) { return; }
  var lang = P.lang;
  var repeatMs = P.repeatSec * 1000;

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
  function flushBurst() {
    burstTimer = null;
    var list = A.stillOpen(burst); burst = [];
    if (list.length === 1) { announce(A.textOf(list[0]), list[0]); } else if (list.length > 1) { announce(P.label('many_alerts', list.length), list[0]); }
  }
  function flushReplay() {
    replayTimer = null;
    var list = A.stillOpen(replayed); replayed = [];
    if (list.length) { announce(P.label(list.length === 1 ? 'reconnected_one' : 'reconnected_many', list.length), list[0]); }
  }

  /* ---- how it is said: chime, then voice, server speech, or chime alone ---- */
  var mutedUntil = parseInt(P.recall('syncmon.mutedUntil'), 10) || 0;
  var lastSpoken = 0, lastSaid = '', job = null, refused = false, announced = 0;
  var keep = []; /* utterances referenced until they end: Chrome may drop the events of a collected one */
  function ss() { return window.speechSynthesis && window.SpeechSynthesisUtterance ? window.speechSynthesis : null; }

  /* announce says text (for alert a, whose own speech the server can render
     when the browser has no voice). A new announcement replaces one in
     progress; the same one again within a second is dropped. o, for what
     the page says of its own line: {chime, recording}, URLs that play with
     the server gone (the chime to use; the recording of text, played where
     the browser has no voice for it). */
  function announce(text, a, o) {
    if (P.now() < mutedUntil || !text) { return; }
    var said = (a ? a.id + '/' + a.severity : '') + '/' + text;
    if (said === lastSaid && P.now() - lastSpoken < 1000) { return; }
    stopJob();
    var j = { alertId: a ? a.id : 0, text: text, ended: false, timers: [],
      chimeUrl: (o && o.chime) || P.chimeUrl, recording: o && o.recording };
    job = j;
    lastSpoken = P.now();
    lastSaid = said;
    announced++;
    armRepeat();
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
    if (job && job.alertId && !A.needsAttention(job.alertId)) { stopJob(); }
  }
  function refusedSound() {
    if (refused) { return; }
    refused = true;
    P.show(P.byId('sound'), true);
  }

  /* the embedded chime through one <audio> element per URL; cb(err) when
     it cannot play (no file, no Audio, refused) */
  var chimeEls = {};
  function playChime(url, onended, cb) {
    if (!url || !window.Audio) { cb(new Error('no audio')); return; }
    try {
      var chimeEl = chimeEls[url] = chimeEls[url] || new window.Audio(url);
      if (onended) { chimeEl.onended = onended; }
      chimeEl.onerror = function () { cb(new Error('chime failed')); };
      try { chimeEl.currentTime = 0; } catch (e) { /* not loaded yet */ }
      var p = chimeEl.play();
      if (p && p.then) { p.then(null, cb); }
    } catch (e) { cb(e); }
  }
  /* the chime, or the oscillator when it cannot play; then next, whatever happened */
  function chime(j, next) {
    var called = false;
    function go() { if (!called && job === j) { called = true; next(); } }
    j.timers.push(setTimeout(go, 2500));
    playChime(j.chimeUrl, go, function (err) {
      if (err && err.name === 'NotAllowedError') { refusedSound(); }
      beep();
      j.timers.push(setTimeout(go, 350));
    });
  }
  var audioCtx = null;
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
    var want = lang, best = null, score = -1;
    for (var i = 0; i < vs.length; i++) {
      var l = String(vs[i].lang || '').toLowerCase().replace('_', '-');
      if (l !== want && l.indexOf(want + '-') !== 0) { continue; }
      var sc = (vs[i].localService ? 4 : 0) + (l === (lang === 'ko' ? 'ko-kr' : 'en-us') ? 2 : 0) + (vs[i]['default'] ? 1 : 0);
      if (sc > score) { best = vs[i]; score = sc; }
    }
    return best;
  }
  function utterance(text) {
    var u = new window.SpeechSynthesisUtterance(text);
    u.lang = lang === 'ko' ? 'ko-KR' : 'en-US';
    keep.push(u);
    return u;
  }
  function release(u) { for (var i = 0; i < keep.length; i++) { if (keep[i] === u) { keep.splice(i, 1); return; } } }
  function say(j, vs) {
    if (job !== j) { return; }
    var s = ss(), v = s ? pickVoice(vs) : null;
    if (!v) { serverSpeech(j); return; }
    if (s.speaking || s.pending) { s.cancel(); } /* a stuck or stale queue */
    var u = utterance(j.text), begun = false;
    try { u.voice = v; } catch (e) { /* lang alone then */ }
    u.onstart = function () { begun = true; };
    u.onend = function () { release(u); finish(j); };
    u.onerror = function (ev) {
      release(u);
      var why = ev && ev.error;
      if (why === 'not-allowed') { refusedSound(); finish(j); return; }
      if (why === 'interrupted' || why === 'canceled') { finish(j); return; }
      if (job === j && !j.ended) { serverSpeech(j); } /* synthesis-failed, voice-unavailable …: the server's voice */
    };
    j.spoke = true;
    s.speak(u);
    /* a queue that never starts, or never ends, is stuck: clear it */
    j.timers.push(setTimeout(function () {
      if (!begun && job === j && !j.ended) { s.cancel(); release(u); serverSpeech(j); }
    }, 5000));
    j.timers.push(setTimeout(function () { if (job === j && !j.ended) { s.cancel(); release(u); finish(j); } }, 20000));
  }
  /* the server's espeak-ng rendering of the alert's own text; a 404 (not
     installed) or any error leaves the chime alone */
  function serverSpeech(j) {
    if (job !== j || j.ended) { return; }
    if (!(j.alertId || j.recording) || !window.Audio || j.audio) { finish(j); return; }
    var el;
    try { el = new window.Audio(j.recording || '/api/tts?alert=' + j.alertId + '&lang=' + lang); } catch (e) { finish(j); return; }
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

  /* repeat while unacknowledged, unsilenced critical alerts exist: when
     repeatMs have passed since the last announcement (a timer armed by
     each one, so repeats are repeatMs apart), and once a second in case
     that moment found something still being said. Never while a burst or
     backlog waits for its timer: that one says it, the repeat must not say
     it too. */
  var checks = 0, repeatTimer = null;
  function repeatDue() {
    var a = A.worstOpen(true);
    if (a && !job && !burstTimer && !replayTimer && P.now() - lastSpoken >= repeatMs) { announce(A.textOf(a), a); }
  }
  function armRepeat() {
    clearTimeout(repeatTimer);
    repeatTimer = setTimeout(function () { repeatTimer = null; repeatDue(); }, repeatMs + 20);
  }
  setInterval(function () {
    checks++;
    repeatDue();
    showMute();
  }, 1000);

  function enableSound() {
    P.show(P.byId('sound'), false);
    refused = false;
    /* inside the click: both unlock audio and speech for this document */
    playChime(P.chimeUrl, null, function () {});
    beep();
    if (A.worstOpen(true)) { lastSpoken = 0; return; } /* the repeat loop says it at once */
    if (ss()) { ss().speak(utterance(P.label('sound_on'))); }
  }
  function toggleMute() {
    if (P.now() < mutedUntil) {
      mutedUntil = 0;
    } else {
      mutedUntil = P.now() + 15 * 60 * 1000;
      stopJob();
    }
    P.remember('syncmon.mutedUntil', String(mutedUntil));
    showMute();
  }
  function showMute() {
    var b = P.byId('mute');
    if (!b) { return; }
    var left = mutedUntil - P.now();
    var text = left > 0 ? P.label('unmute', Math.ceil(left / 60000)) : P.label('mute');
    if (b.textContent !== text) { b.textContent = text; }
    b.className = left > 0 ? 'mute on' : 'mute';
    b.setAttribute('aria-pressed', left > 0 ? 'true' : 'false');
    P.show(b, true);
  }
  /* delegated: the kiosk's button lives in <main>, which refreshes replace */
  document.addEventListener('click', function (ev) {
    var t = ev.target;
    while (t && t !== document && !t.id) { t = t.parentNode; }
    if (!t || !t.id) { return; }
    if (t.id === 'mute') { toggleMute(); } else if (t.id === 'enable-sound') { enableSound(); }
  }, false);
  showMute();
  P.afterSwap(showMute);

  S.speech = {
    queue: queue,
    /* line says what the page knows of its own line (lost, restored): o as
       for announce; muted pages say nothing */
    line: function (text, o) { announce(text, null, o); },
    quietIfDone: quietIfDone,
    setRepeat: function (sec) { if (sec > 0) { repeatMs = sec * 1000; } },
    state: function () {
      return { repeatMs: repeatMs, checks: checks, announced: announced, speaking: !!job,
        refused: refused, muted: P.now() < mutedUntil };
    }
  };
}());
