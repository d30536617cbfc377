/* SyncMon screen client, part 6 of 6: wires the parts and starts. Loads
 * the snapshot of active alerts, then connects; each event updates the
 * alerts and the banner, may be announced, and makes the page re-fetch its
 * server rendering (so what it shows is what the server renders with JS off).
 */
(function () {
  'use strict';
  var S = window.SyncMon, P = S && S.page;
  if (!P || !S.alerts || !S.speech || !S.transport) { return; }
  var A = S.alerts, speech = S.speech, transport = S.transport;

  var hooks = {
    event: function (e, replayed) {
      var a = A.apply(e);
      if (a) { speech.queue(a, replayed); }
      speech.quietIfDone();
      P.eventChanged(e);
    },
    hello: function (e) { speech.setRepeat(e.speech_repeat_seconds); },
    reset: function (done) {
      A.load(function (ok, head) { P.scheduleRefresh(); done(ok, head); });
    }
  };
  setInterval(P.periodic, P.refreshMs);

  /* for tests and the curious: what this screen has and how it gets it */
  window.syncmon = {
    state: function () {
      var s = transport.state(), parts = [speech.state(), S.alarm ? S.alarm.state() : {}], i, k;
      for (i = 0; i < parts.length; i++) {
        for (k in parts[i]) { if (Object.prototype.hasOwnProperty.call(parts[i], k)) { s[k] = parts[i][k]; } }
      }
      s.alerts = A.all();
      return s;
    }
  };
  A.load(function (ok, head) { transport.start(hooks, ok ? head : 0); });
}());
