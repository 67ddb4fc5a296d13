// Inside an embed: tells the page around it how tall the list is, so that its frame (sized by
// /static/embed-host.js) shows it whole. Sends nothing but a number; the list works without it.
(function () {
  'use strict';
  if (window.parent === window) return;
  function send() {
    // The list's own height (the document's is never less than the frame's).
    var h = Math.ceil(document.body.getBoundingClientRect().height);
    window.parent.postMessage({ turnout: 'embed-height', height: h, href: location.href }, '*');
  }
  window.addEventListener('load', send);
  window.addEventListener('resize', send);
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.body);
})();
