// End-to-end test of the organizers' admin in headless Chromium: log in, create an event in
// another time zone, find it on the public listing at the right local time with a subscribe
// link, cancel it and see it marked — recording that no page asked any host but the server.

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
