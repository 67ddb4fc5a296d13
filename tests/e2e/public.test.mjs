// End-to-end tests of the public pages, in headless Chromium against `turnout serve --demo`.
// Run after `cargo build` with `node --test tests/e2e/` (Node 20; on any version:
// `node --test tests/e2e/*.test.mjs`). tests/e2e/run.sh installs what is needed and does both.
//
// The demo data set is loaded relative to today, so the tests read what they need (event links,
// time zones) off the pages instead of hard-coding ids or dates. The one fixed fact they rely on
// is that the demo has upcoming events in New York (CITY below) and in other cities.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createServer as createHttpServer } from 'node:http';
import { startServer, launchBrowser } from './server.mjs';

/** axe-core's browser build, injected into pages to check them (a file, not a request). */
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const CITY = 'New York';
/** "4:00 PM – 7:00 PM PDT": a local time range with the event zone's abbreviation. */
const TIME_RANGE = /\d{1,2}:\d{2} (AM|PM) – \d{1,2}:\d{2} (AM|PM) [A-Z]{3,4}/;
/** Per-test limit, so that a hung browser fails the test instead of the CI run. */
const TEST_TIMEOUT = 60_000;

let server;
let browser;
/** Every request any page made, in every test: { url, from } (checked by the last test). */
const requests = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * Runs fn(page, context) in a new browser context (own cookies, time zone, JS setting).
 * Every request of every page in the context is recorded in `requests` (the context-level
 * 'request' event fires for each of its pages' requests, popups included). Requests to any
 * other host are also aborted, so that a regression cannot send anything off this machine;
 * the recording still catches them.
 */
async function withPage(options, fn) {
  const context = await browser.newContext({ locale: 'en-US', ...options });
  context.setDefaultTimeout(15_000);
  context.on('request', (req) => requests.push({ url: req.url(), from: req.frame()?.url() ?? '' }));
  await context.route(
    (url) => url.host !== server.host,
    (route) => route.abort('blockedbyclient'),
  );
  try {
    const page = await context.newPage();
    return await fn(page, context);
  } finally {
    await context.close();
  }
}

/** Opens a path on the server and checks the HTTP status of the (final) response. */
async function visit(page, path, status = 200) {
  const res = await page.goto(server.origin + path);
  assert.ok(res, `no response for ${path}`);
  assert.equal(res.status(), status, `GET ${path}`);
  return res;
}

/** Requests in `list` that did not go to this server (http://127.0.0.1:<port>). */
function foreign(list) {
  return list.filter((r) => new URL(r.url).origin !== server.origin);
}

/** Text with all runs of white space (incl. ICU's narrow no-break space) as one plain space. */
const squash = (s) => s.replace(/\s+/g, ' ').trim();

/** Path of the first upcoming event on the listing that has a start time (is not all-day). */
async function firstTimedEventPath(page) {
  await visit(page, '/');
  const href = await page
    .locator('article.event')
    .filter({ has: page.locator('time[data-start]:not([data-all-day])') })
    .first()
    .locator('.title a')
    .getAttribute('href');
  assert.match(href, /^\/events\/\d+$/);
  return href;
}

test('(a) listing shows events with local times and zones, and a webcal subscribe link', { timeout: TEST_TIMEOUT }, async () => {
  await withPage({}, async (page) => {
    await visit(page, '/');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(squash(await page.locator('main h1').innerText()), 'Upcoming events');

    // Events are grouped in day sections, each card links to its event page.
    const cards = page.locator('section.day article.event');
    assert.ok((await cards.count()) >= 1, 'at least one event card');
    for (const href of await cards.locator('.title a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
      assert.match(href, /^\/events\/\d+$/);
    }
    const times = (await page.locator('article.event .time time').allInnerTexts()).map(squash);
    assert.ok(times.some((t) => TIME_RANGE.test(t)), `a time with a zone abbreviation among: ${times.join(' | ')}`);

    // The subscribe box: a webcal:// link to this server's feed and the same feed as https/http
    // in a readonly field to copy.
    const box = page.locator('section.subscribe');
    const webcal = await box.locator('a[href^="webcal://"]').getAttribute('href');
    assert.ok(webcal.startsWith(`webcal://${server.host}/`), webcal);
    const feedUrl = page.locator('#feed-url');
    assert.equal(await feedUrl.getAttribute('readonly'), '');
    const feed = await feedUrl.inputValue();
    assert.equal(feed, webcal.replace(/^webcal:/, 'http:'));
    assert.equal(await box.locator('a[href^="https://calendar.google.com/"]').count(), 1);
    assert.equal(await box.locator('a[href^="https://outlook.live.com/"]').count(), 1);

    // The address really is a calendar (fetched from node, not the page: just a sanity check).
    const ics = await fetch(feed);
    assert.equal(ics.status, 200);
    assert.match(ics.headers.get('content-type'), /^text\/calendar/);
    assert.match(await ics.text(), /^BEGIN:VCALENDAR\r\n/);
  });
});

test('(b) an event page shows "your time" only where the browser zone differs from the event zone', { timeout: TEST_TIMEOUT }, async () => {
  // Find a timed event and its IANA zone, shown on the event page as "(America/New_York)".
  const { path, zone, start } = await withPage({}, async (page) => {
    const path = await firstTimedEventPath(page);
    await visit(page, path);
    const zone = squash(await page.locator('.facts .tz').innerText()).replace(/^\(|\)$/g, '');
    const start = await page.locator('.facts time[data-start]').getAttribute('data-start');
    return { path, zone, start };
  });
  assert.match(zone, /^[A-Za-z_]+\/[A-Za-z_\/]+$/, `event zone: ${zone}`);
  assert.notEqual(zone, 'Europe/Berlin', 'the demo events are in US zones');

  // A reader in Berlin: the script fills the slot with the time in Berlin and shows it.
  await withPage({ timezoneId: 'Europe/Berlin' }, async (page) => {
    await visit(page, path);
    const yourTime = page.locator('.your-time');
    await yourTime.waitFor({ state: 'visible' });
    assert.equal(await yourTime.evaluate((el) => el.hidden), false);
    const text = squash(await yourTime.innerText());
    const berlin = squash(
      new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', timeZone: 'Europe/Berlin' }).format(new Date(start)),
    );
    assert.ok(text.startsWith('Your time: '), text);
    assert.ok(text.includes(berlin), `"${text}" shows the start in Berlin (${berlin})`);
  });

  // A reader in the event's own zone: nothing to convert, the slot stays hidden and empty.
  await withPage({ timezoneId: zone }, async (page) => {
    await visit(page, path);
    const yourTime = page.locator('.your-time');
    assert.equal(await yourTime.evaluate((el) => el.hidden), true);
    assert.equal(await yourTime.textContent(), '');
    assert.equal(await yourTime.isVisible(), false);
  });
});

test('(c) filtering by city keeps the value in the URL and shows only that city\'s events', { timeout: TEST_TIMEOUT }, async () => {
  await withPage({}, async (page) => {
    // The card's place line is "Venue, City" (plus " · Online" for hybrid events).
    const inCity = (place) => new RegExp(`, ${CITY}( · |$)`).test(squash(place));
    await visit(page, '/');
    const allPlaces = await page.locator('article.event .place').allInnerTexts();
    const expected = allPlaces.filter(inCity).length;
    assert.ok(expected >= 1, `the demo has events in ${CITY}`);
    assert.ok(expected < allPlaces.length, 'and elsewhere');

    await page.locator('#f-city').fill(CITY);
    await Promise.all([page.waitForURL(/[?&]city=/), page.locator('form.filters button[type=submit]').click()]);

    assert.equal(new URL(page.url()).searchParams.get('city'), CITY);
    assert.equal(await page.locator('#f-city').inputValue(), CITY, 'the form shows the filter in use');
    const places = await page.locator('article.event .place').allInnerTexts();
    assert.equal(places.length, expected, `as many events as the full listing has in ${CITY}`);
    for (const place of places) assert.ok(inCity(place), `"${squash(place)}" is in ${CITY}`);
  });
});

test('(c2) a day of action leads with its states and cities; a city\'s page lists its events', { timeout: TEST_TIMEOUT }, async () => {
  await withPage({ javaScriptEnabled: false }, async (page) => {
    await visit(page, '/actions/never-again-is-now');
    const state = page.locator('.places details', { has: page.locator('summary .name', { hasText: /^NY$/ }) });
    assert.match(squash(await state.locator('summary .count').innerText()), /^\d+ events?$/);
    // Closed until opened, without any script.
    const item = state.locator('ul.cities > li').filter({ has: page.getByRole('link', { name: CITY, exact: true }) });
    const city = item.getByRole('link', { name: CITY, exact: true });
    assert.equal(await city.isVisible(), false);
    await state.locator('summary').click();
    const count = Number(squash(await item.locator('.count').innerText()).replace(/\D/g, ''));
    assert.ok(count >= 1, `${CITY} has events`);
    await Promise.all([page.waitForURL(/\/places\/NY\/New%20York$/), city.click()]);
    assert.equal(squash(await page.locator('main h1').innerText()), `${CITY}, NY`);
    const places = await page.locator('article.event .place').allInnerTexts();
    assert.equal(places.length, count, 'as many events as the action page counted');
    for (const place of places) assert.match(squash(place), new RegExp(`, ${CITY}( · |$)`));
  });
});

test('(d) the language switch shows Spanish, keeps it across pages, and switches back', { timeout: TEST_TIMEOUT }, async () => {
  await withPage({}, async (page) => {
    await visit(page, '/');
    await Promise.all([page.waitForURL(`${server.origin}/es/`), page.locator('header.site a.lang').click()]);
    assert.equal(await page.locator('html').getAttribute('lang'), 'es');
    assert.equal(squash(await page.locator('main h1').innerText()), 'Próximos eventos');
    assert.equal(squash(await page.locator('header.site a.lang').innerText()), 'English');
    assert.equal(squash(await page.locator('label[for=f-city]').innerText()), 'Ciudad');
    assert.equal(squash(await page.locator('#subscribe-title').innerText()), 'Suscríbete a este calendario');
    // Spanish pages use the 24-hour clock, still with the zone abbreviation.
    const times = (await page.locator('article.event .time time').allInnerTexts()).map(squash);
    assert.ok(times.some((t) => /^\d{1,2}:\d{2} – \d{1,2}:\d{2} [A-Z]{3,4}$/.test(t)), times.join(' | '));

    // The language is in the URL: links lead to Spanish pages.
    await Promise.all([page.waitForURL(/\/es\/actions$/), page.locator('header.site nav a[href="/es/actions"]').click()]);
    assert.equal(await page.locator('html').getAttribute('lang'), 'es');
    await visit(page, '/es/actions/never-again-is-now');
    assert.equal(await page.locator('html').getAttribute('lang'), 'es');
    // An English URL stays English whatever was chosen before.
    await visit(page, '/archive');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');

    // And back to English, to the same page.
    await visit(page, '/es/actions/never-again-is-now');
    await Promise.all([page.waitForURL(`${server.origin}/actions/never-again-is-now`), page.locator('header.site a.lang').click()]);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  });
});

test('(e) no page requests anything from another host', { timeout: TEST_TIMEOUT }, async () => {
  // Every kind of page, in both languages, with the script running in a zone that makes it
  // fill in "your time" (so a script-loaded asset would show up too). A request the CSP blocks
  // never reaches the network and so is not reported: the DOM check below covers those.
  const seen = await withPage({ timezoneId: 'Europe/Berlin' }, async (page) => {
    const eventPath = await firstTimedEventPath(page);
    const paths = [
      '/',
      `/?city=${encodeURIComponent(CITY)}`,
      '/archive',
      '/actions',
      '/actions/never-again-is-now',
      '/actions/never-again-is-now/places/CA',
      `/actions/never-again-is-now/places/NY/${encodeURIComponent(CITY)}`,
      '/partners/mijente',
      eventPath,
    ];
    const mine = [];
    page.on('request', (req) => mine.push({ url: req.url() }));
    for (const prefix of ['', '/es']) {
      for (const path of paths) {
        const res = await visit(page, `${prefix}${path}`);
        // The server's second line of defence: a CSP that allows only its own assets.
        assert.match((await res.allHeaders())['content-security-policy'] ?? '', /default-src 'none'/, path);
        // Nothing in the DOM points a sub-resource elsewhere either (links to calendars are fine).
        const external = await page.evaluate(() =>
          [...document.querySelectorAll('[src], link[href], [srcset], [poster], object[data], form[action]')]
            .map((el) => el.src || el.href || el.getAttribute('srcset') || el.poster || el.data || el.action)
            .filter((u) => u && new URL(u, location.href).origin !== location.origin),
        );
        assert.deepEqual(external, [], `sub-resources from elsewhere on ${path}`);
      }
      await visit(page, `${prefix}/no-such-page`, 404);
    }
    return mine;
  });
  assert.deepEqual(foreign(seen), []);
  // The recorder did see the page's own assets.
  const paths = new Set(seen.map((r) => new URL(r.url).pathname));
  assert.ok(paths.has('/static/style.css') && paths.has('/static/local-time.js'), [...paths].join(' '));
});

test('(f) pages work with JavaScript disabled', { timeout: TEST_TIMEOUT }, async () => {
  await withPage({ javaScriptEnabled: false, timezoneId: 'Europe/Berlin' }, async (page) => {
    await visit(page, '/');
    const cards = page.locator('article.event');
    assert.ok((await cards.count()) >= 1);
    const times = (await page.locator('article.event .time time').allInnerTexts()).map(squash);
    assert.ok(times.some((t) => TIME_RANGE.test(t)), times.join(' | '));
    const webcal = await page.locator('section.subscribe a[href^="webcal://"]').getAttribute('href');
    assert.ok(webcal.startsWith(`webcal://${server.host}/`));

    // The filter form is a plain GET form.
    await page.locator('#f-city').fill(CITY);
    await Promise.all([page.waitForURL(/[?&]city=/), page.locator('form.filters button[type=submit]').click()]);
    assert.equal(new URL(page.url()).searchParams.get('city'), CITY);
    assert.ok((await cards.count()) >= 1);

    // Links are plain links: open an event from the listing.
    const link = page.locator('article.event .title a').first();
    const title = squash(await link.innerText());
    await Promise.all([page.waitForURL(/\/events\/\d+$/), link.click()]);
    assert.equal(squash(await page.locator('main h1').innerText()), title);
    assert.match(squash(await page.locator('.facts time').innerText()), TIME_RANGE);
    assert.equal(await page.locator('.your-time').evaluate((el) => el.hidden), true, 'no script, no "your time"');
    assert.equal(await page.locator('.add a[href$=".ics"]').count(), 1);

    // The language switch is a link and a redirect.
    await Promise.all([page.waitForURL(/\/es\/events\/\d+$/), page.locator('header.site a.lang').click()]);
    assert.equal(await page.locator('html').getAttribute('lang'), 'es');
  });
});

test('(g) a day of action shows what people can do from home: online actions with a readable goal', { timeout: TEST_TIMEOUT }, async () => {
  await withPage({ javaScriptEnabled: false }, async (page) => {
    // The demo's Seattle petition (goal 100) belongs to the Seattle petition day of action.
    await visit(page, '/actions');
    const href = await page.locator('a[href^="/actions/seattle-petition"]').first().getAttribute('href');
    await visit(page, href);
    const section = page.locator('section.online');
    await assert.doesNotReject(section.waitFor());
    assert.equal(squash(await section.locator('h2').innerText()), 'Take action online');
    const card = section.locator('li.online-card').filter({ hasText: 'Leave Seattle' });
    assert.equal(await card.count(), 1);
    // The goal in words (no colour or script needed), beside a native progress bar.
    assert.match(squash(await card.locator('.progress').innerText()), /^\d+ of 100 signatures \(\d+%\)$/);
    assert.equal(await card.locator('progress').getAttribute('max'), '100');
    assert.match(squash(await card.locator('.deadline').innerText()), /^Deadline: \w+day, \w+ \d{1,2}, \d{4}$/);
    const take = card.locator('a.take');
    assert.equal(squash(await take.innerText()), 'Sign the petition');
    assert.match(await take.getAttribute('href'), /^https:\/\/www\.change\.org\//);
    // Its own page, with schema.org JSON-LD naming where it is taken.
    await card.locator('h3 a').click();
    assert.match(page.url(), /\/online-actions\/\d+$/);
    const ld = JSON.parse(await page.locator('script[type="application/ld+json"]').textContent());
    assert.equal(ld['@type'], 'Action');
    assert.match(ld.target.urlTemplate, /change\.org/);
  });
  // The home page lists open online actions of current days of action, in Spanish too.
  await withPage({ locale: 'es-ES' }, async (page) => {
    await visit(page, '/es/');
    const section = page.locator('section.online');
    assert.equal(squash(await section.locator('h2').innerText()), 'Actúa en línea');
    assert.ok((await section.locator('li.online-card').count()) >= 2);
  });
});

test('(h) maps are inline SVG: marks link to their places, nothing is fetched, axe finds nothing', { timeout: TEST_TIMEOUT }, async () => {
  // bypassCSP only so that axe can be injected; the pages' own policy is tested elsewhere.
  await withPage({ bypassCSP: true }, async (page) => {
    for (const path of ['/actions/never-again-is-now', '/?near=94301&radius=50mi', '/es/actions/never-again-is-now']) {
      const seen = [];
      page.on('request', (req) => seen.push(req.url()));
      await visit(page, path);
      const map = page.locator('figure.map');
      assert.equal(await map.count(), 1, `one map on ${path}`);
      // The outlines are in the page, drawn from path data: no image, tile or font to fetch.
      assert.ok((await map.locator('svg path.land').getAttribute('d')).length > 500, 'land drawn');
      assert.equal(await map.locator('image, img, use, foreignObject').count(), 0);
      assert.deepEqual(
        seen.filter((u) => !u.startsWith(server.origin + '/static/') && u !== server.origin + path),
        [],
        `${path} fetched nothing for its map`,
      );
      // Every mark is a link to a page of this server, titled with its place and count.
      const marks = map.locator('svg a');
      assert.ok((await marks.count()) >= 1, `marks on ${path}`);
      const titles = await marks.locator('title').evaluateAll((ts) => ts.map((t) => t.textContent));
      for (const t of titles) assert.match(t, /: \d+ (events?|eventos?)$/);
      const hrefs = await marks.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      for (const h of hrefs) assert.match(h, /^\/[^/]/);
      // Readable without the map: the text alternative says so, outside the hidden drawing.
      assert.equal(await map.locator('svg').getAttribute('aria-hidden'), 'true');
      assert.ok((await map.locator('figcaption').innerText()).length > 20);

      await page.addScriptTag({ path: AXE });
      const found = await page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      assert.deepEqual(found, [], `axe on ${path}`);
      page.removeAllListeners('request');

      // A mark leads to that place's events.
      await visit(page, hrefs[hrefs.length - 1]);
      assert.ok((await page.locator('article.event').count()) >= 1, `events at ${hrefs[hrefs.length - 1]}`);
    }
  });
});

test('(i) "Use my location" sends the position rounded to 2 decimals, only when clicked', { timeout: TEST_TIMEOUT }, async () => {
  // Palantir's headquarters in Palo Alto, to five decimals (about a metre).
  const here = { latitude: 37.44431, longitude: -122.15982 };
  await withPage({ geolocation: here, permissions: ['geolocation'] }, async (page, context) => {
    const sent = [];
    context.on('request', (req) => sent.push(req.url()));
    await visit(page, '/actions/never-again-is-now');
    const form = page.locator('section.near-search form');
    assert.equal(await form.locator('input[type="hidden"][name="action"]').inputValue(), 'never-again-is-now');
    const button = form.getByRole('button', { name: 'Use my location' });
    assert.equal(await button.isVisible(), true, 'shown where the script runs');
    assert.deepEqual(sent.filter((u) => /37\.44|122\.16/.test(u)), [], 'nothing sent before the click');
    await Promise.all([page.waitForURL(/[?&]near=/), button.click()]);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('near'), '37.44,-122.16');
    assert.equal(url.searchParams.get('action'), 'never-again-is-now');
    assert.equal(await page.locator('#f-near').inputValue(), '37.44,-122.16');
    // The finer position never left the browser.
    assert.deepEqual(sent.filter((u) => /37\.444|122\.159/.test(decodeURIComponent(u))), []);
    // Events near there, nearest distances shown, and the map around the point.
    const places = (await page.locator('article.event .place').allInnerTexts()).map(squash);
    assert.ok(places.length >= 1 && places.every((p) => / mi away$/.test(p)), places.join(' | '));
    assert.ok(places.some((p) => p.includes('Palo Alto')), places.join(' | '));
    assert.equal(await page.locator('figure.map circle.radius').count(), 1);
  });
  // Without the script, the button stays hidden and the form still works by typing.
  await withPage({ javaScriptEnabled: false }, async (page) => {
    await visit(page, '/actions/never-again-is-now');
    const form = page.locator('section.near-search form');
    assert.equal(await form.locator('button.use-location').isVisible(), false);
    await form.locator('input[name="near"]').fill('94301');
    await Promise.all([page.waitForURL(/near=94301/), form.getByRole('button', { name: 'Show events' }).click()]);
    assert.ok((await page.locator('article.event').count()) >= 1);
  });
});

test('(j) another site frames the embed (and nothing else), 280 px wide, dark, sized to its list', { timeout: TEST_TIMEOUT }, async () => {
  // A partner's page on another origin (another port), framing an embed and a normal page.
  const partner = createHttpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Partner</title><body style="margin:0">
      <iframe id="embed" src="${server.origin}/embed?action=never-again-is-now&theme=dark" title="Events"
        style="width:280px;border:0" height="300"></iframe>
      <iframe id="page" src="${server.origin}/actions/never-again-is-now" title="Page" style="width:280px" height="300"></iframe>
      <script src="${server.origin}/static/embed-host.js" async></script></body>`);
  });
  await new Promise((resolve) => partner.listen(0, '127.0.0.1', resolve));
  const partnerOrigin = `http://127.0.0.1:${partner.address().port}`;
  // Its own context: the partner's page is another host, which withPage() refuses.
  const context = await browser.newContext({ locale: 'en-US' });
  try {
    const page = await context.newPage();
    await page.goto(partnerOrigin + '/');
    const frame = page.frameLocator('#embed');
    await frame.locator('li.event').first().waitFor();
    assert.ok((await frame.locator('li.event').count()) >= 1);
    // Each event opens on Turnout in a new tab.
    const targets = await frame.locator('li.event .title a').evaluateAll((as) => as.map((a) => [a.target, a.rel, a.href]));
    for (const [target, rel, href] of targets) {
      assert.equal(target, '_blank');
      assert.equal(rel, 'noopener');
      assert.ok(href.startsWith(server.origin + '/events/'), href);
    }
    // 280 px: nothing sticks out sideways; the dark theme asked for.
    const inside = await page.frame({ url: /\/embed\?/ }).evaluate(() => ({
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      background: getComputedStyle(document.body).backgroundColor,
      height: document.documentElement.scrollHeight,
    }));
    assert.ok(inside.overflow <= 0, `scrolls sideways by ${inside.overflow}px`);
    assert.equal(inside.background, 'rgb(21, 21, 21)');
    // Our sizing script on the partner's page fits the frame to the list.
    await page.waitForFunction(() => document.getElementById('embed').style.height !== '');
    const sized = await page.evaluate(() => document.getElementById('embed').getBoundingClientRect().height);
    assert.ok(Math.abs(sized - inside.height) <= 2, `frame ${sized}px, list ${inside.height}px`);
    // Any other page refuses to be framed: the frame stays empty of it.
    const other = page.frames().find((f) => f.name() === '' && f !== page.mainFrame() && !/\/embed\?/.test(f.url()));
    const shown = other ? await other.evaluate(() => document.querySelector('h1')?.textContent ?? '').catch(() => '') : '';
    assert.equal(shown, '', 'the action page must not render inside another site');
  } finally {
    await context.close();
    await new Promise((resolve) => partner.close(resolve));
  }
});

test('(e) across every test above, every request went to this server only', { timeout: TEST_TIMEOUT }, () => {
  assert.ok(requests.length >= 20, `requests were recorded (${requests.length})`);
  assert.deepEqual(foreign(requests), []);
});
