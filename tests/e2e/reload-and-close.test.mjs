// Every page the docs present handles a reload and a closed tab: the demo page (/),
// web/minimal.html (docs/browser.md) and the README's short page. A reloaded
// page gets its seat back and the call comes back; when a tab closes, the other
// page learns it at once and waits for the next peer.
//
// The daemon keeps a lost session's seat for resume.grace, set here far beyond the
// tests' waits: a page that went away without ending its session (no close frame,
// no leave) would make its reload `full` and its peer never hear peer-left, and the
// test fails instead of passing late.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SOURCE_DIR } from './lib/daemon.mjs';
import { SCENARIO_TIMEOUT_MS, setUp } from './lib/harness.mjs';
import { uniqueRoom, waitForCall, waitForStatus, WAIT_MS } from './lib/demo-page.mjs';

const LONG_GRACE = { resume: { grace: 3600 } };

/** Waits until the text of `selector` on `page` satisfies `accept` (a predicate source). */
async function waitForText(page, selector, expected, what) {
  try {
    await page.waitForFunction(
      ([sel, want]) => document.querySelector(sel)?.textContent === want,
      [selector, expected],
      { timeout: WAIT_MS, polling: 100 },
    );
  } catch (err) {
    const now = await page.locator(selector).textContent().catch(() => '?');
    throw new Error(`${what}: '${selector}' never read '${expected}' (it reads '${now}')`, { cause: err });
  }
}

test('the demo page: a reload rejoins the call, a closed tab leaves it', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  const env = await setUp(t, { config: LONG_GRACE });
  await env.run(async () => {
    // The URL scripts/run prints: the lobby with the room filled in, and Join.
    const url = `${env.daemon.url}/?room=${encodeURIComponent(uniqueRoom('demo-reload'))}`;
    const openAndJoin = async (name) => {
      const page = await env.open(url, { name });
      await page.locator('#join-button').click();
      return page;
    };
    const alice = await openAndJoin('alice');
    await waitForStatus(alice, 'waiting');
    const bob = await openAndJoin('bob');
    await waitForCall(alice, 1);
    await waitForCall(bob, 1);

    // A reload lands on the same URL, which names the room; it joins again.
    await bob.reload();
    await bob.locator('#join-button').click();
    await waitForCall(bob, 1);
    await waitForCall(alice, 1);

    await bob.close();
    await waitForStatus(alice, 'waiting');
  });
});

test('web/minimal.html: a reload rejoins the call, a closed tab leaves it', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  const env = await setUp(t, { config: LONG_GRACE });
  await env.run(async () => {
    const url = `${env.daemon.url}/minimal.html?room=${encodeURIComponent(uniqueRoom('minimal-reload'))}`;
    const first = await env.open(url, { name: 'first' });
    await first.waitForFunction(() => document.getElementById('status').textContent.startsWith('in room'), null, {
      timeout: WAIT_MS,
    });
    const second = await env.open(url, { name: 'second' });
    await waitForText(first, '#status', 'call: connected', 'first, the call');
    await waitForText(second, '#status', 'call: connected', 'second, the call');

    await second.reload();
    await waitForText(second, '#status', 'call: connected', 'second, after its reload');
    await waitForText(first, '#status', 'call: connected', 'first, after the reload of second');

    await second.close();
    await waitForText(first, '#status', 'the other peer left; waiting for someone to join', 'first, after second closed');
  });
});

// The README's page, extracted from README.md as it stands, served by parleyd.
async function readmePageDir() {
  const readme = await readFile(path.join(SOURCE_DIR, 'README.md'), 'utf8');
  const section = readme.split('## A browser page in a few lines')[1];
  assert.ok(section, 'README.md has the section "A browser page in a few lines"');
  const match = /```html\n([\s\S]*?)```/.exec(section);
  assert.ok(match, 'the section shows an html block');
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-readme-page-'));
  await writeFile(path.join(dir, 'index.html'), `<!doctype html>\n<meta charset="utf-8">\n${match[1]}`);
  return dir;
}

test("README's short page: a call, a reload rejoins it, a closed tab leaves it", { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  const dir = await readmePageDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const env = await setUp(t, { config: { ...LONG_GRACE, static_dir: dir } });
  await env.run(async () => {
    const url = `${env.daemon.url}/`;
    const first = await env.open(url, { name: 'first' });
    await waitForText(first, '#status', 'waiting', 'first, alone in the room');
    const second = await env.open(url, { name: 'second' });
    await waitForText(first, '#status', 'call: connected', 'first, the call');
    await waitForText(second, '#status', 'call: connected', 'second, the call');

    await second.reload();
    await waitForText(second, '#status', 'call: connected', 'second, after its reload');
    await waitForText(first, '#status', 'call: connected', 'first, after the reload of second');

    await second.close();
    await waitForText(first, '#status', 'waiting', 'first, after second closed');
  });
});
