// Full-page screenshots of the public pages for docs/screenshots/, at a phone and a desktop size.
// Usage: node tests/e2e/screenshots.mjs [OUT_DIR]   (scripts/screenshots.sh builds and runs this)

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, startServer, launchBrowser, TURNOUT_BIN } from './server.mjs';

const OUT = resolve(process.argv[2] || join(ROOT, 'docs', 'screenshots'));

const VIEWPORTS = {
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 },
};

mkdirSync(OUT, { recursive: true });
const server = await startServer();
const browser = await launchBrowser();
// An admin account for the event form, made as an operator would.
const EMAIL = 'screenshots@example.org';
const password = execFileSync(TURNOUT_BIN, ['user', 'create', '--email', EMAIL, '--role', 'admin'], {
  env: { ...process.env, TURNOUT_DATABASE_URL: server.db, RUST_LOG: 'error' },
  encoding: 'utf8',
})
  .trim()
  .split('\n')
  .pop()
  .trim();
try {
  // The event page: the first event on the listing that has a start time (ids follow the demo data).
  const probe = await browser.newPage();
  await probe.goto(`${server.origin}/`);
  const eventPath = await probe
    .locator('article.event')
    .filter({ has: probe.locator('time[data-start]:not([data-all-day])') })
    .first()
    .locator('.title a')
    .getAttribute('href');
  await probe.close();

  const pages = {
    listing: '/',
    action: '/actions/never-again-is-now',
    near: '/?near=94301&radius=30mi',
    event: eventPath,
  };

  for (const [size, options] of Object.entries(VIEWPORTS)) {
    // A reader in Berlin and light colours, so the event page shows "your time" and the shots
    // do not depend on the machine's settings.
    const context = await browser.newContext({
      ...options,
      locale: 'en-US',
      timezoneId: 'Europe/Berlin',
      colorScheme: 'light',
    });
    const page = await context.newPage();
    // Log in first: the last shot is the admin's event form (an event duplicated for another city).
    await page.goto(`${server.origin}/admin/login`);
    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const shots = { ...pages, 'event-form': `/admin/events/new?from=${eventPath.split('/').pop()}` };
    for (const [name, path] of Object.entries(shots)) {
      const res = await page.goto(server.origin + path, { waitUntil: 'load' });
      if (!res || res.status() !== 200) throw new Error(`GET ${path}: ${res?.status()}`);
      const file = join(OUT, `${name}-${size}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(`wrote ${file}`);
    }
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
