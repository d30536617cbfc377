/* SyncMon screen client, part 1 of 6: what the page says about itself, and
 * the helpers every part uses. Plain ES5, no build step, no libraries.
 *
 * The client is split by concern: page.js (this: page data, labels, HTTP,
 * reload, the server-rendered <main> refresh), alerts.js (active alerts and
 * the banner), speech.js (what is said and how), transport.js (WebSocket,
 * SSE, long-poll), alarm.js (a stale line said aloud) and app.js (wires
 * them and starts). Each adds itself to window.SyncMon; the layout loads
 * them in that order.
 */
(function () {
  'use strict';
  var body = document.body;
  var S = window.SyncMon = window.SyncMon || {};
  if (!body || !body.getAttribute('data-page')) { return; }
  var name = body.getAttribute('data-page');
  /* the sign-in form has no screen to keep live (and no credentials for one) */
  if (name === 'login') { return; }

  function attr(k) { return body.getAttribute('data-' + k); }
  function now() { return new Date().getTime(); }

  /* a label the server rendered into the page (data-t-KEY on <body>), with
     {n} replaced; the key itself when the page has none */
  function label(key, n) {
    var v = attr('t-' + key);
    if (v === null) { return key; }
    return n === undefined ? v : v.replace('{n}', String(n));
  }

  /* per-tab memory that survives a reload (mute, reload guard); absent in some locked-down browsers */
  function recall(k) { try { return window.sessionStorage ? window.sessionStorage.getItem(k) : null; } catch (e) { return null; } }
  function remember(k, v) { try { if (window.sessionStorage) { window.sessionStorage.setItem(k, v); } } catch (e) { /* private mode */ } }

  /* reload, at most once in 10 s (later, not never): a page that keeps
     failing must not spin */
  var reloading = false;
  function reload() {
    if (reloading) { return; }
    reloading = true;
    var last = parseInt(recall('syncmon.reloaded'), 10) || 0;
    setTimeout(function () {
      remember('syncmon.reloaded', String(now()));
      location.reload();
    }, Math.max(0, Math.min(10000, last + 10000 - now())));
  }

  /* the server answered with version v (hello, a poll): a wall display
     running older assets reloads to get the new ones */
  var version = attr('version');
  function checkVersion(v) {
    if (v && version && v !== version && name === 'kiosk') { reload(); }
  }

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

  /* preload fetches url once, now, into memory: cb(a blob: URL) that plays
     even when the server is gone, or cb(url) itself where the browser
     cannot (no Blob URLs, no XHR blob responses), or cb('') on failure */
  function preload(url, cb) {
    if (!url) { cb(''); return; }
    var U = window.URL || window.webkitURL;
    if (!U || !U.createObjectURL || !window.Blob) { cb(url); return; }
    var x = new XMLHttpRequest();
    try { x.open('GET', url, true); x.responseType = 'blob'; } catch (e) { cb(url); return; }
    x.onreadystatechange = function () {
      if (x.readyState !== 4) { return; }
      if (x.status === 200 && x.response) { try { cb(U.createObjectURL(x.response)); return; } catch (e) { /* below */ } }
      cb('');
    };
    x.send();
  }

  function byId(id) { return document.getElementById(id); }
  function show(el, on) { if (el) { if (on) { el.removeAttribute('hidden'); } else { el.setAttribute('hidden', ''); } } }

  /* ---- page refresh: swap <main> with the server's rendering --------- */
  /* The dashboard and the kiosk carry an ETag and "private, no-cache": the
     browser asks again with If-None-Match, an unchanged page comes back as
     a 304 (no body on the wire) that XHR shows as its cached 200, and the
     same text is not swapped in again. */
  var refreshTimer = null, afterSwap = [], lastHtml = '', lastProblems = '';
  function scheduleRefresh() {
    if (refreshTimer) { return; }
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      get(location.pathname + location.search, 10000, function (status, html) {
        if (status !== 200 || !window.DOMParser || html === lastHtml) { return; }
        var doc = new DOMParser().parseFromString(html, 'text/html');
        /* a page of another kind came back (the sign-in form: the session
           ended): go there properly instead of pasting it in */
        if (doc.body && doc.body.getAttribute('data-page') !== name) { reload(); return; }
        var fresh = doc.querySelector('main'), cur = document.querySelector('main');
        if (fresh && cur && !editing(cur)) {
          cur.innerHTML = fresh.innerHTML;
          lastHtml = html; lastProblems = '';
          for (var i = 0; i < afterSwap.length; i++) { afterSwap[i](); }
        }
      });
    }, 300);
  }
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

  /* ---- partial refresh: only the dashboard's parts an event changed ----
     The alert table and the targets the event names come from GET
     /fragments and replace their copies, so an event costs a screen the
     same whatever the size of the fleet. A target whose health changed
     moves between the problems and the folded healthy list. */
  var partTimer = null, partNames = {}, partAlerts = false;
  function eventChanged(e) {
    /* cluster: accounts, sessions, kiosk tokens or silences changed; the
       entry says nothing more, and only their own pages show them */
    if (e && e.type === 'state.changed') {
      if (name === 'silences' || name === 'users' || name === 'tokens' || name === 'audit') { scheduleRefresh(); }
      return;
    }
    var tn = e && e.target && e.target.name, an = e && e.alert && e.alert.target;
    /* a compacted target.status replayed after a long drop: the target's
       latest status follows in the same replay */
    if (e && e.type === 'target.superseded') { return; }
    if (name !== 'dashboard' || !byId('problems') || !window.DOMParser || (!tn && !e.alert)) { scheduleRefresh(); return; }
    if (tn) { partNames[tn] = true; }
    if (e.alert) { partAlerts = true; if (an) { partNames[an] = true; } }
    if (!partTimer) { partTimer = setTimeout(fetchParts, 100); }
  }
  function fetchParts() {
    partTimer = null;
    var names = [], n, q = [];
    for (n in partNames) { if (Object.prototype.hasOwnProperty.call(partNames, n)) { names.push(n); } }
    if (partAlerts) { q.push('alerts=1'); }
    partNames = {}; partAlerts = false;
    while (names.length) {
      var chunk = names.splice(0, 50);
      for (var i = 0; i < chunk.length; i++) { q.push('target=' + encodeURIComponent(chunk[i])); }
      getParts(q.join('&'));
      q = [];
    }
    if (q.length) { getParts(q.join('&')); }
  }
  /* the body of a /fragments answer, or null (and a reload) when a whole
     page came back instead: the sign-in form, the session ended */
  function parseParts(html) {
    var doc = new DOMParser().parseFromString('<!DOCTYPE html><html><body>' + html + '</body></html>', 'text/html');
    if (!doc.body || doc.body.getAttribute('data-page') || doc.querySelector('body[data-page]')) { reload(); return null; }
    return doc.body;
  }
  function getParts(query) {
    get('/fragments?' + query, 10000, function (status, html) {
      if (status !== 200) { scheduleRefresh(); return; }
      var got = parseParts(html);
      if (!got) { return; }
      var parts = got.children, missing = false;
      for (var i = 0; i < parts.length; i++) {
        var el = document.importNode(parts[i], true);
        if (el.id === 'alerts-section') {
          var cur = byId('alerts-section');
          if (cur) { cur.parentNode.replaceChild(el, cur); }
        } else if (el.getAttribute('data-target') !== null && !placeTarget(el)) {
          missing = true;
        }
      }
      /* the page is no longer what the last refreshes brought: the next
         ones are swapped in even when they bring the same again */
      lastHtml = ''; lastProblems = '';
      if (missing) { scheduleRefresh(); return; }
      countHealthy();
      for (var k = 0; k < afterSwap.length; k++) { afterSwap[k](); }
    });
  }
  /* ---- periodic refresh (every ui.page_refresh) -----------------------
     A safety net for what is not an event: lag figures, check times. A
     folded dashboard asks only for the alerts and the targets with a
     problem (what it shows open); its healthy lines change by events, and
     every tenth time the whole page comes as before. Anything else: the
     whole page (revalidated: an unchanged one is a 304). */
  var ticks = 0;
  function periodic() {
    ticks++;
    var cur = byId('problems');
    if (name !== 'dashboard' || !cur || cur.getAttribute('data-fold') !== '1' || !window.DOMParser || ticks % 10 === 0) { scheduleRefresh(); return; }
    get('/fragments?alerts=1&problems=1', 10000, function (status, html) {
      if (status !== 200) { scheduleRefresh(); return; }
      if (html === lastProblems) { return; }
      var got = parseParts(html);
      if (!got) { return; }
      var fresh = got.querySelector('#problems'), alerts = got.querySelector('#alerts-section');
      cur = byId('problems');
      if (!fresh || !cur) { scheduleRefresh(); return; }
      var sick = {}, list = fresh.querySelectorAll('[data-target]'), i;
      for (i = 0; i < list.length; i++) { sick[list[i].getAttribute('data-target')] = true; }
      /* a target left the problems and this page missed the event: the whole page */
      list = cur.querySelectorAll('[data-target]');
      for (i = 0; i < list.length; i++) { if (!sick[list[i].getAttribute('data-target')]) { scheduleRefresh(); return; } }
      lastProblems = html; lastHtml = '';
      /* a target now among the problems leaves the healthy list */
      list = document.querySelectorAll('#healthy li[data-target]');
      for (i = 0; i < list.length; i++) { if (sick[list[i].getAttribute('data-target')]) { list[i].parentNode.removeChild(list[i]); } }
      cur.parentNode.replaceChild(document.importNode(fresh, true), cur);
      var ca = byId('alerts-section');
      if (alerts && ca) { ca.parentNode.replaceChild(document.importNode(alerts, true), ca); }
      countHealthy();
      for (i = 0; i < afterSwap.length; i++) { afterSwap[i](); }
    });
  }

  function targetEl(tn) {
    var all = document.querySelectorAll('[data-target]');
    for (var i = 0; i < all.length; i++) { if (all[i].getAttribute('data-target') === tn) { return all[i]; } }
    return null;
  }
  /* false when the page has no such target yet (a full refresh adds it) */
  function placeTarget(el) {
    var cur = targetEl(el.getAttribute('data-target'));
    if (!cur) { return false; }
    if (cur.tagName === el.tagName) { cur.parentNode.replaceChild(el, cur); return true; }
    var list = document.querySelector('#healthy ul');
    cur.parentNode.removeChild(cur);
    if (el.tagName === 'LI' && list) { list.appendChild(el); } else { byId('problems').insertBefore(el, byId('problems').firstChild); }
    return true;
  }
  function countHealthy() {
    var c = byId('healthy-count'), none = byId('no-problems');
    if (c) { c.textContent = String(document.querySelectorAll('#healthy li[data-target]').length); }
    if (none) { show(none, !document.querySelector('#problems [data-target]')); }
  }

  S.page = {
    name: name,
    lang: attr('lang') === 'ko' ? 'ko' : 'en',
    head: parseInt(attr('head'), 10) || 0,
    chimeUrl: attr('chime'),
    repeatSec: parseInt(attr('speech-repeat'), 10) || 60,
    attr: attr, label: label, now: now, recall: recall, remember: remember,
    reload: reload, checkVersion: checkVersion, get: get, preload: preload, byId: byId, show: show,
    scheduleRefresh: scheduleRefresh, eventChanged: eventChanged, periodic: periodic,
    refreshMs: 1000 * (parseInt(attr('refresh'), 10) || 30),
    /* f runs after each refresh replaced <main> */
    afterSwap: function (f) { afterSwap.push(f); }
  };
}());
