// End-to-end test of the organizers' admin in headless Chromium: log in, create an event in
// another time zone, find it on the public listing at the right local time with a subscribe
// link, cancel it and see it marked; and a weekly series made with the plain repeat controls:
// preview its dates, cancel one, change another, and find both on the public pages and in its
// .ics — each recording that no page asked any host but the server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, launchBrowser, TURNOUT_BIN } from './server.mjs';

const TEST_TIMEOUT = 90_000;
let server;
let browser;
let password;
const EMAIL = 'organizer-admin@example.org';

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  // The account, made the way an operator would: `turnout user create`, password on the last line.
  const out = execFileSync(TURNOUT_BIN, ['user', 'create', '--email', EMAIL, '--role', 'admin'], {
    env: { ...process.env, TURNOUT_DATABASE_URL: server.db, RUST_LOG: 'error' },
    encoding: 'utf8',
  });
  password = out.trim().split('\n').pop().trim();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The date `days` from today, as YYYY-MM-DD (far enough ahead to be on the first page). */
function dayFromNow(days) {
  const d = new Date(Date.now() + days * 86_400_000);
  return d.toISOString().slice(0, 10);
}

test('log in, create an event in another zone, see it listed, cancel it', { timeout: TEST_TIMEOUT }, async () => {
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'Europe/Berlin' });
  context.setDefaultTimeout(15_000);
  const foreign = [];
  context.on('request', (req) => {
    if (new URL(req.url()).host !== server.host) foreign.push(req.url());
  });
  await context.route((url) => url.host !== server.host, (route) => route.abort('blockedbyclient'));
  const page = await context.newPage();
  try {
    // Unauthenticated: the admin sends us to the login page.
    await page.goto(`${server.origin}/admin`);
    assert.match(new URL(page.url()).pathname, /^\/admin\/login$/);
    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('That e-mail and password do not match.').waitFor();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

    // A new event in Honolulu (Pacific/Honolulu, UTC−10, no DST), 4–7 pm local.
    await page.getByRole('link', { name: 'New event' }).first().click();
    const day = dayFromNow(2);
    await page.getByLabel('Title').fill('E2E vigil at Iolani Palace');
    await page.getByLabel('Starts').fill(`${day}T16:00`);
    await page.getByLabel('Ends').fill(`${day}T19:00`);
    await page.getByLabel('Time zone', { exact: true }).fill('Pacific/Honolulu');
    await page.getByLabel('Venue name').fill('Iolani Palace');
    await page.getByLabel('City').fill('Honolulu');
    await page.getByLabel('State or region').fill('HI');
    await page.getByLabel('Day of action').selectOption('never-again-is-now');
    await page.getByLabel('Partner 1').selectOption('mijente');
    await page.getByRole('button', { name: 'Save event' }).click();
    await page.getByText('Event created.').waitFor();

    // On the public listing at its local time, with the zone's abbreviation.
    await page.goto(`${server.origin}/?city=Honolulu`);
    const card = page.locator('article.event', { hasText: 'E2E vigil at Iolani Palace' });
    await card.waitFor();
    assert.equal((await card.locator('p.time time').innerText()).trim(), '4:00 PM – 7:00 PM HST');
    const webcal = await page.locator('.subscribe a[href^="webcal://"]').getAttribute('href');
    assert.equal(webcal, `webcal://${server.host}/calendar.ics?city=honolulu`); // the filter's canonical form

    // Its page shows the Berlin reader their own time.
    await card.getByRole('link', { name: 'E2E vigil at Iolani Palace' }).click();
    const yours = page.locator('.your-time');
    await yours.waitFor({ state: 'visible' });
    assert.match(await yours.innerText(), /^Your time: /);

    // Cancel from the admin; the public page and the listing say so.
    const eventPath = new URL(page.url()).pathname;
    const id = eventPath.split('/').pop();
    await page.goto(`${server.origin}/admin/events/${id}/edit`);
    await page.getByRole('button', { name: 'Cancel this event' }).click();
    await page.getByText('Event cancelled.').waitFor();
    await page.goto(server.origin + eventPath);
    await page.getByRole('alert').filter({ hasText: 'This event has been cancelled.' }).waitFor();
    await page.goto(`${server.origin}/?city=Honolulu`);
    await page.locator('article.event.cancelled', { hasText: 'E2E vigil at Iolani Palace' }).getByText('Cancelled').waitFor();

    // The feed carries the cancellation too.
    const ics = await (await fetch(`${server.origin}/calendar.ics?city=Honolulu`)).text();
    assert.match(ics, /STATUS:CANCELLED/);
    assert.match(ics, /SUMMARY:Cancelled: E2E vigil at Iolani Palace/);

    assert.deepEqual(foreign, [], 'pages asked hosts other than the server');
  } finally {
    await context.close();
  }
});

/** The first Tuesday at least `days` days from today (UTC), as YYYY-MM-DD. */
function tuesdayFromNow(days) {
  const d = new Date(Date.now() + days * 86_400_000);
  d.setUTCDate(d.getUTCDate() + ((2 - d.getUTCDay() + 7) % 7));
  return d.toISOString().slice(0, 10);
}

/** `day` (YYYY-MM-DD) plus `n` days. */
function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Los Angeles' abbreviation (PST or PDT) on `day`: at its midday, hours from any change. */
function laZone(day) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/Los_Angeles',
    timeZoneName: 'short',
  }).formatToParts(new Date(`${day}T20:00:00Z`));
  return parts.find((p) => p.type === 'timeZoneName').value;
}

/** The admin's label of a 6 pm Los Angeles date: "Tue, Mar 16, 2027, 6:00 PM PDT". */
function adminLabel(day) {
  const d = new Date(`${day}T12:00:00Z`);
  const wd = d.toLocaleDateString('en-US', { weekday: 'short', timeZone: 'UTC' });
  const mon = d.toLocaleDateString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${wd}, ${mon} ${d.getUTCDate()}, ${d.getUTCFullYear()}, 6:00 PM ${laZone(day)}`;
}

/** An .ics text's content lines, folded lines joined (RFC 5545 §3.1). */
function icsLines(text) {
  return text.replace(/\r\n[ \t]/g, '').split(/\r?\n/);
}

test('a weekly series: preview its dates, cancel one, change one, see both in public and in the .ics', { timeout: TEST_TIMEOUT }, async () => {
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'America/Los_Angeles' });
  context.setDefaultTimeout(15_000);
  const foreign = [];
  context.on('request', (req) => {
    if (new URL(req.url()).host !== server.host) foreign.push(req.url());
  });
  await context.route((url) => url.host !== server.host, (route) => route.abort('blockedbyclient'));
  const page = await context.newPage();
  const TITLE = 'E2E Tuesday vigil';
  const CHANGED = 'E2E Tuesday vigil at City Hall';
  const first = tuesdayFromNow(2);
  const dates = Array.from({ length: 6 }, (_, i) => addDays(first, 7 * i));
  const [, cancelledDay, changedDay] = dates;
  try {
    await page.goto(`${server.origin}/admin/login`);
    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

    // Weekly on Tuesday, 6–7 pm in Los Angeles, six times, with the plain repeat controls.
    await page.getByRole('link', { name: 'New event' }).first().click();
    await page.getByLabel('Title').fill(TITLE);
    await page.getByLabel('Starts').fill(`${first}T18:00`);
    await page.getByLabel('Ends').fill(`${first}T19:00`);
    await page.getByLabel('Time zone', { exact: true }).fill('America/Los_Angeles');
    await page.getByLabel('Repeat', { exact: true }).selectOption('weekly');
    await page.getByLabel('Tuesday').check();
    await page.getByRole('radio', { name: 'After this many times' }).check();
    await page.getByRole('spinbutton', { name: 'After this many times' }).fill('6');
    await page.getByLabel('Venue name').fill('Palo Alto City Hall');
    await page.getByLabel('City').fill('Palo Alto');
    await page.getByLabel('State or region').fill('CA');
    await page.getByLabel('Day of action').selectOption('never-again-is-now');
    await page.getByLabel('Partner 1').selectOption('mijente');

    // The preview: the first five dates, each a Tuesday at 6 pm with that date's abbreviation.
    await page.getByRole('button', { name: 'Preview dates' }).click();
    const preview = page.locator('ol.preview-dates li');
    await preview.first().waitFor();
    assert.deepEqual(
      (await preview.allInnerTexts()).map((s) => s.trim()),
      dates.slice(0, 5).map(adminLabel),
    );
    // The form came back as typed: saving it stores the series.
    await page.getByRole('button', { name: 'Save event' }).click();
    await page.getByText('Event created.').waitFor();

    // Its edit page: cancel the second date, give the third a title of its own.
    const editHref = await page
      .locator('tr', { hasText: TITLE })
      .getByRole('link', { name: 'Edit', exact: true })
      .first()
      .getAttribute('href');
    const id = editHref.match(/^\/admin\/events\/(\d+)\/edit$/)[1];
    await page.goto(server.origin + editHref);
    const occurrence = (day) => page.locator(`li[id="occurrence-${day}T18:00"]`);
    await occurrence(cancelledDay).getByRole('button', { name: 'Cancel this date' }).click();
    await page.getByText('The date is cancelled; subscribers see it cancelled.').waitFor();
    await occurrence(cancelledDay).getByText('Cancelled', { exact: true }).waitFor();
    const changing = occurrence(changedDay);
    await changing.locator('summary', { hasText: 'Change this date' }).click(); // opens its form
    await changing.getByLabel('Title').fill(CHANGED);
    await changing.getByRole('button', { name: 'Change this date' }).click();
    await page.getByText('The date is changed.').waitFor();
    assert.match(await occurrence(changedDay).locator('p').first().innerText(), new RegExp(`— ${CHANGED} Changed$`));

    // The public page: the rule in words, and the next dates with both exceptions.
    await page.goto(`${server.origin}/events/${id}`);
    assert.equal(
      (await page.locator('dd.repeats').innerText()).trim(),
      `Every Tuesday, 6–7 pm, 6 times (${laZone(first)})`,
    );
    const next = page.locator('section.next-dates li');
    assert.equal(await next.count(), 6);
    for (const [i, day] of dates.entries()) {
      const li = next.nth(i);
      assert.ok((await li.locator('time').getAttribute('datetime')).startsWith(day), `next date ${i} is ${day}`);
      const text = await li.innerText();
      assert.equal(/cancelled/.test(text), day === cancelledDay, `date ${day}: ${text}`);
      assert.equal(text.includes(CHANGED), day === changedDay, `date ${day}: ${text}`);
    }
    assert.match(await next.nth(1).getAttribute('class'), /\bcancelled\b/);

    // The listing: each occurrence on its own day, the cancelled one marked, the changed one renamed.
    await page.goto(`${server.origin}/?city=Palo%20Alto`);
    const onDay = (day) => page.locator(`section.day[aria-labelledby="day-${day}"] article.event`);
    for (const day of dates) await onDay(day).first().waitFor();
    await onDay(cancelledDay).and(page.locator('.cancelled')).getByText('Cancelled', { exact: true }).waitFor();
    assert.equal(await onDay(cancelledDay).count(), 1);
    assert.equal((await onDay(changedDay).locator('.title').innerText()).trim(), CHANGED);
    assert.equal(await onDay(changedDay).and(page.locator('.cancelled')).count(), 0);
    assert.equal((await onDay(dates[3]).locator('.title').innerText()).trim(), TITLE);

    // The event's .ics: the rule, and one override per exception with its RECURRENCE-ID.
    const res = await fetch(`${server.origin}/events/${id}.ics`);
    assert.equal(res.status, 200);
    const lines = icsLines(await res.text());
    const rrules = lines.filter((l) => /^RRULE:FREQ=WEEKLY(;|$)/.test(l));
    assert.equal(rrules.length, 1, 'one RRULE:FREQ=WEEKLY line');
    const parts = rrules[0].slice('RRULE:'.length).split(';');
    assert.ok(parts.includes('BYDAY=TU') && parts.includes('COUNT=6'), rrules[0]);
    const vevents = [];
    for (const l of lines) {
      if (l === 'BEGIN:VEVENT') vevents.push([]);
      else if (vevents.length) vevents.at(-1).push(l);
    }
    const override = (day) => {
      const stamp = `${day.replaceAll('-', '')}T180000`;
      const found = vevents.filter((v) => v.some((l) => l.startsWith('RECURRENCE-ID') && l.endsWith(stamp)));
      assert.equal(found.length, 1, `one override with RECURRENCE-ID …${stamp}:\n${lines.join('\n')}`);
      return found[0];
    };
    assert.ok(override(cancelledDay).includes('STATUS:CANCELLED'), 'the cancelled override says STATUS:CANCELLED');
    const changedEvent = override(changedDay);
    assert.ok(changedEvent.includes(`SUMMARY:${CHANGED}`), 'the changed override carries its title');
    assert.ok(!changedEvent.includes('STATUS:CANCELLED'));

    assert.deepEqual(foreign, [], 'pages asked hosts other than the server');
  } finally {
    await context.close();
  }
});
