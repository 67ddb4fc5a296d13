// Reads an .ics file with Mozilla's ical.js (Thunderbird's parser) and prints what it understood
// as JSON. Only the feed's own VTIMEZONEs are registered, so every TZID'd time is converted with
// the VTIMEZONE we generated: a wrong VTIMEZONE shows up as a wrong UTC instant.
// Usage: node parse_icaljs.mjs FILE  (ICALJS = path of ical.js/dist/ical.js)
import fs from 'fs';
import { pathToFileURL } from 'url';

const ICAL = (await import(pathToFileURL(process.env.ICALJS).href)).default;
const out = { parser: 'ical.js', errors: [], events: [] };

function show(t) {
  if (!t) return null;
  if (t.isDate) return t.toString();
  if (!t.zone || t.zone === ICAL.Timezone.localTimezone || t.zone.tzid === 'floating')
    return 'floating:' + t.toICALString();
  return new Date(t.toUnixTime() * 1000).toISOString().replace('.000Z', 'Z');
}

try {
  const text = fs.readFileSync(process.argv[2], 'utf8');
  const cal = new ICAL.Component(ICAL.parse(text));
  for (const vtz of cal.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(vtz);
  for (const comp of cal.getAllSubcomponents('vevent')) {
    const ev = new ICAL.Event(comp);
    out.events.push({
      uid: ev.uid,
      summary: ev.summary,
      description: ev.description || '',
      location: ev.location || '',
      status: comp.getFirstPropertyValue('status') || 'CONFIRMED',
      sequence: ev.sequence || 0,
      categories: comp.getAllProperties('categories').flatMap((p) => p.getValues().map(String)),
      properties: [...new Set(comp.getAllProperties().map((p) => p.name.toUpperCase()))].sort(),
      start: show(ev.startDate),
      end: show(ev.endDate),
    });
  }
} catch (e) {
  out.errors.push(String((e && e.message) || e));
}
console.log(JSON.stringify(out));
