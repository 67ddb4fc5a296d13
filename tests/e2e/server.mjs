// Shared helpers for the end-to-end tests and the screenshot script:
//   - startServer(): runs an already built `turnout serve --demo` on a free loopback port with a
//     fresh temporary database, waits for /healthz and returns how to reach and stop it;
//   - launchBrowser(): starts Debian's headless Chromium (/usr/bin/chromium) through
//     playwright-core, with the flags this machine's closed network needs.
// Nothing here builds: run `cargo build` first (tests/e2e/run.sh and scripts/screenshots.sh do).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** The repository root (two levels above this file). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The server binary: env TURNOUT_BIN, else target/debug/turnout in the repository. */
export const TURNOUT_BIN = process.env.TURNOUT_BIN || join(ROOT, 'target', 'debug', 'turnout');

/** The browser: env CHROMIUM_PATH, else Debian's chromium package. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Chromium flags. Without the background-networking ones Chromium keeps trying to reach Google's
 * hosts, which this machine's network refuses. Playwright itself gives every launch a fresh,
 * empty temporary profile (--user-data-dir) and deletes it on close.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Asks the kernel for a free loopback port (the small race before turnout binds it is retried). */
function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the demo server and resolves once GET /healthz answers 200.
 * @returns {Promise<{origin: string, host: string, port: number, stop: () => Promise<void>, log: () => string}>}
 */
export async function startServer({ timeoutMs = 30_000 } = {}) {
  if (!existsSync(TURNOUT_BIN)) {
    throw new Error(`${TURNOUT_BIN} not found: run \`cargo build\` first (or set TURNOUT_BIN)`);
  }
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(timeoutMs);
    } catch (err) {
      lastError = err; // most likely the port was taken between freePort() and bind: try another
    }
  }
  throw lastError;
}

async function startOnce(timeoutMs) {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const origin = `http://${host}`;
  const dir = mkdtempSync(join(tmpdir(), 'turnout-e2e-'));
  const child = spawn(TURNOUT_BIN, ['serve', '--demo'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TURNOUT_DATABASE_URL: join(dir, 't.db'),
      TURNOUT_LISTEN: host,
      TURNOUT_BASE_URL: origin,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Keep the server's output for error messages, without letting it grow without bound.
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exitedPromise = new Promise((r) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      r();
    }),
  );

  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => exited === null && child.kill('SIGKILL'), 5_000);
      await exitedPromise;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) {
      await stop();
      throw new Error(`turnout exited early (${JSON.stringify(exited)}):\n${output}`);
    }
    try {
      const res = await fetch(`${origin}/healthz`);
      if (res.ok) return { origin, host, port, stop, log: () => output, db: join(dir, 't.db') };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`turnout did not answer ${origin}/healthz within ${timeoutMs} ms:\n${output}`);
}

/** Launches headless Debian Chromium through playwright-core. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} not found: apt-get install -y chromium`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
