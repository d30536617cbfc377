/* SyncMon screen client, part 5 of 6: a screen never goes stale in silence.
 * When the line has been stale (no heartbeat: the "Disconnected" banner)
 * for ui.stale_alarm, the page chimes and says "SyncMon connection lost" in
 * its language, again every 2 minutes while stale, and "SyncMon connection
 * restored" once when the line comes back. SyncMon may be dead by then, so
 * everything is in the page beforehand: the sentences (data-t-line_*), and
 * the chime and the recordings (for a browser with no voice for the
 * language), fetched into memory at load. Mute applies.
 */
(function () {
  'use strict';
  var S = window.SyncMon, P = S && S.page;
  if (!P || !S.speech || !S.transport) { return; }
  var alarmMs = (parseInt(P.attr('stale-alarm'), 10) || 60) * 1000;
  var againMs = 2 * 60 * 1000;

  var media = { chime: '', lost: '', restored: '' };
  P.preload(P.chimeUrl, function (u) { media.chime = u; });
  P.preload(P.attr('line-lost'), function (u) { media.lost = u; });
  P.preload(P.attr('line-restored'), function (u) { media.restored = u; });

  var staleSince = 0, lastLost = 0, told = false, lost = 0, restored = 0;
  function say(key) {
    S.speech.line(P.label(key), { chime: media.chime, recording: key === 'line_lost' ? media.lost : media.restored });
  }
  function tick() {
    var now = P.now();
    if (S.transport.state().stale) {
      if (!staleSince) { staleSince = now; }
      if (now - staleSince >= alarmMs && (!lastLost || now - lastLost >= againMs)) {
        lastLost = now;
        lost++;
        /* a muted page says nothing now, nor "restored" for what it never said */
        told = told || !S.speech.state().muted;
        say('line_lost');
      }
      return;
    }
    if (told && !S.speech.state().muted) {
      restored++;
      say('line_restored');
    }
    staleSince = lastLost = 0;
    told = false;
  }
  setInterval(tick, 1000);

  S.alarm = {
    media: function () { return { chime: media.chime, lost: media.lost, restored: media.restored }; },
    state: function () {
      return { staleAlarmMs: alarmMs, lineLost: lost, lineRestored: restored,
        lineMedia: !!(media.chime && media.lost && media.restored) };
    }
  };
}());
