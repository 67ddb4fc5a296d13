// "Your time": where the reader's time zone differs from the event's, show the event's time in
// the reader's zone next to it. Pages work without this script.
(function () {
  'use strict';
  function offsetOf(iso) {
    var m = /([+-])(\d\d):(\d\d)$/.exec(iso);
    return m ? (m[1] === '-' ? -1 : 1) * (parseInt(m[2], 10) * 60 + parseInt(m[3], 10)) : 0;
  }
  var lang = document.documentElement.lang || 'en';
  var fmt = new Intl.DateTimeFormat(lang, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
  var timeOnly = new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
  var dayOnly = new Intl.DateTimeFormat(lang, { year: 'numeric', month: 'numeric', day: 'numeric' });
  document.querySelectorAll('time[data-start]').forEach(function (el) {
    if (el.hasAttribute('data-all-day')) return;
    var iso = el.getAttribute('data-start');
    var start = new Date(iso);
    if (isNaN(start)) return;
    if (-start.getTimezoneOffset() === offsetOf(iso)) return;
    var end = new Date(el.getAttribute('data-end'));
    // An end on the same day (in the reader's zone) shows only its time.
    var sameDay = !isNaN(end) && dayOnly.format(start) === dayOnly.format(end);
    var text = fmt.format(start) + ' – ' + (isNaN(end) ? '' : (sameDay ? timeOnly : fmt).format(end));
    var slot = el.parentNode.querySelector('.your-time');
    if (slot) {
      slot.textContent = slot.getAttribute('data-label') + ': ' + text;
      slot.hidden = false;
    } else {
      el.title = text;
    }
  });
})();
