/* SyncMon screen client, part 2 of 6: the active alerts this page knows,
 * by id, and the banner that shows the one that most needs attention. */
(function () {
  'use strict';
  var S = window.SyncMon, P = S && S.page;
  if (!P) { return; }

  var alerts = {};

  /* load replaces what the page knows with the server's snapshot and calls
     done(ok, head): head is the seq the snapshot is as of */
  function load(done) {
    P.get('/api/state', 10000, function (status, text) {
      if (status === 401) { P.reload(); return; } /* signed out or revoked: the page goes to sign-in */
      var st = null;
      if (status === 200) { try { st = JSON.parse(text); } catch (e) { st = null; } }
      if (!st) { done(false, 0); return; }
      alerts = {};
      for (var i = 0; i < (st.alerts || []).length; i++) { alerts[st.alerts[i].id] = st.alerts[i]; }
      refreshBanner();
      done(true, st.head || 0);
    });
  }

  function needsAttention(a) { return !!a && a.state === 'open' && !a.silenced; }
  function rank(a) { return a.severity === 'critical' ? 2 : a.severity === 'warning' ? 1 : 0; }
  /* how new an alert is: recorded ids grow with time; a temporary
     (negative) id was given in memory after the last recorded one, and
     counts down, so -2 is newer than -1 and both newer than any recorded */
  function age(a) { return a.id < 0 ? 1e15 - a.id : a.id; }
  function textOf(a) { return (a.speech && a.speech[P.lang]) || a.message; }

  /* worth announcing: an alert that opens, rises in severity over what this
     page knew, or leaves a silence while still open; never a silenced one */
  function announces(type, prev, a) {
    if (a.state !== 'open' || a.silenced) { return false; }
    if (type === 'alert.opened') { return true; }
    if (type !== 'alert.updated') { return false; }
    return !prev || rank(a) > rank(prev) || (!!prev.silenced && !a.silenced);
  }

  /* apply takes in one event and returns its alert when it is worth
     announcing, else null */
  function apply(e) {
    if (e.unpersisted) { unrecorded = true; } else if (typeof e.seq === 'number') { unrecorded = false; }
    var a = e.alert;
    if (!a) { refreshBanner(); return null; }
    var prev = alerts[a.id], type = e.type;
    if (a.id > 0) {
      /* an alert shown from memory while the server could not record it
         (unpersisted, temporary negative id) now recorded: one alert, not two */
      var temp = sameAlert(a);
      if (temp) { delete alerts[temp.id]; prev = prev || temp; if (type === 'alert.opened') { type = 'alert.updated'; } }
    }
    if (a.state === 'resolved') { delete alerts[a.id]; } else { alerts[a.id] = a; }
    refreshBanner();
    return announces(type, prev, a) ? a : null;
  }

  function sameAlert(a) {
    for (var id in alerts) {
      if (!Object.prototype.hasOwnProperty.call(alerts, id)) { continue; }
      var t = alerts[id];
      if (t.id < 0 && t.target === a.target && t.program === a.program && t.group === a.group && t.rule === a.rule) { return t; }
    }
    return null;
  }

  /* "not being recorded": an unpersisted event came and no recorded one
     since, or SyncMon's own store alert is active */
  var unrecorded = false;
  function refreshUnrecorded() {
    var n = P.byId('unrecorded');
    if (!n) { return; }
    var on = unrecorded;
    for (var id in alerts) {
      if (Object.prototype.hasOwnProperty.call(alerts, id) && alerts[id].rule === 'syncmon' && alerts[id].group === 'store') { on = true; }
    }
    n.textContent = P.lang === 'ko' ? 'SyncMon\uc774 \uae30\ub85d\ud558\uc9c0 \ubabb\ud558\uace0 \uc788\uc2b5\ub2c8\ub2e4: \uc9c0\uae08 \ubcf4\uc774\ub294 \ub0b4\uc6a9\uc740 \uae30\ub85d\ub418\uc9c0 \uc54a\uc2b5\ub2c8\ub2e4.'
      : 'SyncMon cannot write its database: what you see is not being recorded.';
    P.show(n, on);
  }

  /* the alert that most needs attention: open (not acked), not silenced,
     worst severity, newest */
  function worstOpen(criticalOnly) {
    var best = null;
    for (var id in alerts) {
      if (!Object.prototype.hasOwnProperty.call(alerts, id)) { continue; }
      var a = alerts[id];
      if (!needsAttention(a) || (criticalOnly && a.severity !== 'critical')) { continue; }
      if (!best || rank(a) > rank(best) || (rank(a) === rank(best) && age(a) > age(best))) { best = a; }
    }
    return best;
  }

  /* the alerts of ids that still need attention now, once each, worst first */
  function stillOpen(ids) {
    var out = [], seen = {};
    for (var i = 0; i < ids.length; i++) {
      var a = alerts[ids[i]];
      if (needsAttention(a) && !seen[a.id]) { seen[a.id] = true; out.push(a); }
    }
    out.sort(function (x, y) { return rank(y) - rank(x) || age(y) - age(x); });
    return out;
  }

  function refreshBanner() {
    refreshUnrecorded();
    var b = P.byId('banner'), a = worstOpen(false);
    if (!b) { return; }
    if (!a) { P.show(b, false); b.className = 'banner'; return; }
    b.className = 'banner sev-' + (a.severity === 'critical' ? 'crit' : 'warn');
    while (b.firstChild) { b.removeChild(b.firstChild); }
    var link = document.createElement('a');
    link.href = '/alerts/' + a.id;
    link.appendChild(document.createTextNode((a.severity === 'critical' ? '\u2716 ' : '\u25B2 ') + textOf(a)));
    b.appendChild(link);
    P.show(b, true);
  }

  S.alerts = {
    load: load, apply: apply, worstOpen: worstOpen, stillOpen: stillOpen,
    needsAttention: function (id) { return needsAttention(alerts[id]); },
    textOf: textOf,
    all: function () { return alerts; }
  };
}());
