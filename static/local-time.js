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
// "Use my location" beside a `near` field: asks the browser only when clicked, and rounds the
// position to 2 decimals (about 1 km) before it leaves the page, in the form's `near`.
(function () {
  'use strict';
  if (!('geolocation' in navigator)) return;
  document.querySelectorAll('button.use-location').forEach(function (button) {
    var form = button.form;
    var field = form && form.querySelector('input[name="near"]');
    if (!field) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener('click', function () {
      button.disabled = true;
      button.textContent = button.getAttribute('data-busy');
      navigator.geolocation.getCurrentPosition(function (pos) {
        field.value = pos.coords.latitude.toFixed(2) + ',' + pos.coords.longitude.toFixed(2);
        form.submit();
      }, function () {
        button.disabled = false;
        button.textContent = label;
        var note = document.createElement('p');
        note.className = 'error';
        note.setAttribute('role', 'status');
        note.textContent = button.getAttribute('data-failed');
        button.insertAdjacentElement('afterend', note);
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
    });
  });
})();
