// On a partner's page (optional): sizes each Turnout embed's <iframe> to its list. Served by
// Turnout itself; it reads only the height our embeds send, and only from frames of ours.
(function () {
  'use strict';
  var script = document.currentScript;
  var origin = script ? new URL(script.src).origin : null;
  window.addEventListener('message', function (event) {
    var d = event.data;
    if (!origin || event.origin !== origin || !d || d.turnout !== 'embed-height') return;
    var h = Number(d.height);
    if (!isFinite(h) || h <= 0 || h > 20000) return;
    var frames = document.getElementsByTagName('iframe');
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) frames[i].style.height = h + 'px';
    }
  });
})();
