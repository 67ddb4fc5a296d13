// Expands the recurring events of an .ics file with Mozilla's ical.js (RRULE, EXDATE and
// RECURRENCE-ID exceptions related to their master) and prints every occurrence that overlaps
// [FROM, TO) as JSON, sorted by start. Only the feed's own VTIMEZONEs are registered.
// Usage: node expand_icaljs.mjs FILE FROM TO  (ICALJS = path of ical.js/dist/ical.js)
import fs from 'fs';
import { pathToFileURL } from 'url';

const ICAL = (await import(pathToFileURL(process.env.ICALJS).href)).default;
const out = { parser: 'ical.js', errors: [], occurrences: [] };

function utc(t) {
  if (t.isDate) return t.toString();
  return new Date(t.toUnixTime() * 1000).toISOString().replace('.000Z', 'Z');
}

try {
  const text = fs.readFileSync(process.argv[2], 'utf8');
  const from = Date.parse(process.argv[3]) / 1000;
  const to = Date.parse(process.argv[4]) / 1000;
  const cal = new ICAL.Component(ICAL.parse(text));
  for (const vtz of cal.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(vtz);
  const masters = new Map();
  const exceptions = [];
  for (const comp of cal.getAllSubcomponents('vevent')) {
    const ev = new ICAL.Event(comp);
    if (comp.hasProperty('recurrence-id')) exceptions.push(ev);
    else masters.set(ev.uid, ev);
  }
  for (const exc of exceptions) {
    const master = masters.get(exc.uid);
    if (master) master.relateException(exc);
    else out.errors.push(`exception without a master: ${exc.uid}`);
  }
  const push = (item, start, end) => {
    if (end.toUnixTime() <= from || start.toUnixTime() >= to) return;
    out.occurrences.push({
      uid: item.uid,
      start: utc(start),
      end: utc(end),
      status: String(item.component.getFirstPropertyValue('status') || 'CONFIRMED').toLowerCase(),
      summary: item.summary,
    });
  };
  for (const ev of masters.values()) {
    if (!ev.isRecurring()) {
      push(ev, ev.startDate, ev.endDate);
      continue;
    }
    const it = ev.iterator();
    for (let next = it.next(), n = 0; next && n < 100000; next = it.next(), n++) {
      if (next.toUnixTime() >= to) break;
      const d = ev.getOccurrenceDetails(next);
      push(d.item, d.startDate, d.endDate);
    }
  }
  out.occurrences.sort((a, b) => (a.start + a.uid).localeCompare(b.start + b.uid));
} catch (e) {
  out.errors.push(String((e && e.stack) || e));
}
console.log(JSON.stringify(out));
