/* Runs transport.js under node with a stub page and a stub WebSocket, and
 * prints the URLs it opens: the first (no epoch known), the resume after a
 * drop (the epoch hello gave), and the resume after a reset (the new log's
 * epoch, from the head the snapshot reload gave). Used by transport_test.go. */
/* eslint-env node */
(function () {
  'use strict';
  var fs = require('fs');
  var vm = require('vm');

  var urls = [], sockets = [], timers = [];
  var P = {
    head: 5, name: 'dashboard',
    now: function () { return Date.now(); },
    show: function () {}, byId: function () { return null; }, label: function (k) { return k; },
    afterSwap: function () {}, checkVersion: function () {}, reload: function () {},
    get: function () { return { abort: function () {} }; }
  };
  function WS(url) { urls.push(url); this.close = function () {}; sockets.push(this); }
  var sandbox = {
    window: { SyncMon: { page: P }, WebSocket: WS },
    location: { protocol: 'http:', host: 'h' },
    WebSocket: WS,
    setTimeout: function (f) { timers.push(f); return timers.length; },
    clearTimeout: function () {},
    setInterval: function () { return 0; },
    JSON: JSON, Math: Math, Date: Date, encodeURIComponent: encodeURIComponent
  };
  vm.createContext(sandbox);
  vm.runInContext(fs.readFileSync(process.argv[2], 'utf8'), sandbox);
  function flush() { var t = timers; timers = []; t.forEach(function (f) { f(); }); }
  function say(i, msg) { sockets[i].onmessage({ data: JSON.stringify(msg) }); }

  var S = sandbox.window.SyncMon;
  S.transport.start({
    event: function () {}, hello: function () {},
    reset: function (done) { done(true, 9); }
  }, 5);
  say(0, { type: 'hello', head: 5, epoch: 'E1' });
  sockets[0].onclose({ code: 1006 });
  flush(); /* the pause before the same transport again */
  say(1, { type: 'hello', head: 5, epoch: 'E1' });
  say(1, { type: 'reset', head: 9, epoch: 'E 2' });
  process.stdout.write(JSON.stringify(urls));
}());
