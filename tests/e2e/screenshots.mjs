// Full-page screenshots of the public pages for docs/screenshots/, at a phone and a desktop size.
// Usage: node tests/e2e/screenshots.mjs [OUT_DIR]   (scripts/screenshots.sh builds and runs this)

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT, startServer, launchBrowser } from './server.mjs';

const OUT = resolve(process.argv[2] || join(ROOT, 'docs', 'screenshots'));

const VIEWPORTS = {
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 },
};

mkdirSync(OUT, { recursive: true });
const server = await startServer();
const browser = await launchBrowser();
try {
  // The event page: the first event on the listing that has a start time (ids follow the demo data).
  const probe = await browser.newPage();
  await probe.goto(`${server.origin}/`);
  const eventPath = await probe
    .locator('article.event')
    .filter({ has: probe.locator('time[data-start]:not([data-all-day])') })
    .first()
    .locator('h3 a')
    .getAttribute('href');
  await probe.close();

  const pages = {
    listing: '/',
    action: '/actions/never-again-is-now',
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
    for (const [name, path] of Object.entries(pages)) {
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
