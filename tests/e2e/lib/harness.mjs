// One scenario's environment: a daemon, a browser, and diagnostics when it fails.
//
//   test('...', async (t) => {
//     const env = await setUp(t, { config: { limits: { max_peers_per_room: 4 } } });
//     const page = await env.open(demoUrl(env.daemon.url, room));
//     ...
//   });
//
// Teardown (browser closed, daemon stopped with SIGTERM and its exit awaited) is
// registered on the test, and runs whether the test passed or not; on failure the
// daemon's log and the pages' console are printed.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { launchBrowser } from './browser.mjs';
import { SOURCE_DIR, startDaemon } from './daemon.mjs';

/** A bound on one scenario, below ctest's TIMEOUT, so that a hang still tears down. */
export const SCENARIO_TIMEOUT_MS = 180_000;

export const ARTIFACTS_DIR = path.join(SOURCE_DIR, 'tests', 'e2e', 'artifacts');

export async function artifactPath(name) {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, name);
}

/**
 * @param {import('node:test').TestContext} t
 * @param {{config?: Object}} [options]  Merged into the daemon's configuration.
 */
export async function setUp(t, { config } = {}) {
  const daemon = await startDaemon({ config });
  let browser;
  try {
    browser = await launchBrowser();
  } catch (err) {
    await daemon.stop().catch(() => {});
    throw err;
  }
  const cleanups = [];

  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await browser.close().catch(() => {});
    const exit = await daemon.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, 'parleyd exits 0 after SIGTERM');
  });

  return {
    daemon,
    browser,
    open: (url, options) => browser.open(url, options),
    /** Runs `cleanup` at teardown, before the browser and daemon stop. */
    defer(cleanup) {
      cleanups.push(cleanup);
    },
    /**
     * Runs the scenario; if it throws, prints what the daemon and the pages logged
     * (otherwise a failure in a browser leaves no trace) and rethrows.
     * @param {() => Promise<void>} body
     */
    async run(body) {
      try {
        await body();
      } catch (err) {
        t.diagnostic('--- parleyd log ---');
        for (const line of daemon.log().split('\n')) t.diagnostic(line);
        t.diagnostic('--- browser console ---');
        for (const line of browser.log().split('\n')) t.diagnostic(line);
        throw err;
      }
    },
  };
}
