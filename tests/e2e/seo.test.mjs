// Lighthouse's SEO category against the public pages of `turnout serve --demo`: the listing, the
// days of action, the archive, one action page, one partner page and one event page must each
// score at least MIN_SCORE. A failure prints the audits that did not pass, with their items.
//
// Lighthouse (pinned to 12.x, the last line that runs on Node 20) drives Debian's headless
// Chromium through chrome-launcher, with the flags this machine's closed network needs
// (server.mjs) and no throttling. Every step has a time limit, so a hung browser fails the test
// instead of the CI run.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { startServer, CHROMIUM_PATH, CHROMIUM_ARGS } from './server.mjs';

const MIN_SCORE = 0.95;
/** One Lighthouse run of one page. */
const RUN_TIMEOUT = 90_000;
/** The whole test: a few pages, each well under RUN_TIMEOUT on this machine. */
const TEST_TIMEOUT = 8 * RUN_TIMEOUT;

let server;
let chrome;

before(async () => {
  server = await startServer();
  chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM_PATH,
    chromeFlags: CHROMIUM_ARGS,
    logLevel: 'silent',
    // 60 × 500 ms to get the DevTools port, then chrome-launcher gives up.
    maxConnectionRetries: 60,
    connectionPollInterval: 500,
  });
});

after(async () => {
  // chrome-launcher removes the temporary profile it made.
  await chrome?.kill();
  await server?.stop();
});

/** The first path in `html` matching `re` (with one capture group for the variable part). */
function firstPath(html, re, what) {
  const m = html.match(re);
  assert.ok(m, `no ${what} link on the listing`);
  return m[0].slice(0, -1); // drop the closing quote the pattern ends with
}

/** Rejects after `ms` with a message naming `what`. */
function withTimeout(promise, ms, what) {
  let timer;
  const limit = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** Runs Lighthouse's SEO category on one URL; returns its score and the audits that failed. */
async function seo(url) {
  const result = await withTimeout(
    lighthouse(url, {
      port: chrome.port,
      logLevel: 'error',
      output: 'json',
      onlyCategories: ['seo'],
      // No simulated network or CPU slowdown: the SEO audits don't depend on it.
      throttlingMethod: 'provided',
      formFactor: 'desktop',
      screenEmulation: { disabled: true },
      disableFullPageScreenshot: true,
      maxWaitForLoad: 30_000,
      maxWaitForFcp: 30_000,
    }),
    RUN_TIMEOUT,
    `Lighthouse on ${url}`,
  );
  assert.ok(result?.lhr, `Lighthouse gave no report for ${url}`);
  const { lhr } = result;
  assert.equal(
    lhr.runtimeError,
    undefined,
    `Lighthouse failed on ${url}: ${JSON.stringify(lhr.runtimeError)}`,
  );
  const category = lhr.categories.seo;
  const failed = category.auditRefs
    .filter((ref) => ref.weight > 0)
    .map((ref) => lhr.audits[ref.id])
    .filter((a) => a.score !== null && a.score < 1)
    .map((a) => {
      const items = (a.details?.items ?? []).slice(0, 5).map((i) => JSON.stringify(i));
      return `  ${a.id} (${a.score}): ${a.title}${a.explanation ? ` — ${a.explanation}` : ''}` +
        (items.length ? `\n    ${items.join('\n    ')}` : '');
    });
  return { score: category.score, failed };
}

test(`public pages score at least ${MIN_SCORE} in Lighthouse SEO`, { timeout: TEST_TIMEOUT }, async () => {
  const listing = await (await fetch(`${server.origin}/`)).text();
  const paths = [
    '/',
    '/es/',
    '/actions',
    '/archive',
    firstPath(listing, /\/actions\/[a-z0-9-]+"/, 'action'),
    '/actions/never-again-is-now/places/CA',
    firstPath(listing, /\/partners\/[a-z0-9-]+"/, 'partner'),
    firstPath(listing, /\/events\/\d+"/, 'event'),
  ];
  const report = [];
  let ok = true;
  for (const path of paths) {
    const { score, failed } = await seo(server.origin + path);
    console.log(`Lighthouse SEO ${score} ${path}`);
    if (score === null || score < MIN_SCORE) {
      ok = false;
      report.push(`${path}: SEO score ${score}\n${failed.join('\n')}`);
    }
  }
  assert.ok(ok, `pages below ${MIN_SCORE}:\n${report.join('\n')}`);
});
