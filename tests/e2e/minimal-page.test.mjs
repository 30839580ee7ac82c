// The minimal example of docs/browser.md is web/minimal.html, word for word, and it
// really makes a call: two pages, each playing the other's video.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { SOURCE_DIR } from './lib/daemon.mjs';
import { SCENARIO_TIMEOUT_MS, setUp } from './lib/harness.mjs';
import { uniqueRoom, WAIT_MS } from './lib/demo-page.mjs';

test('docs/browser.md shows web/minimal.html as it is', async () => {
  const docs = await readFile(path.join(SOURCE_DIR, 'docs', 'browser.md'), 'utf8');
  const page = await readFile(path.join(SOURCE_DIR, 'web', 'minimal.html'), 'utf8');
  const match =
    /<!-- minimal-example:start -->\n```html\n([\s\S]*?)```\n<!-- minimal-example:end -->/.exec(
      docs,
    );
  assert.ok(match, 'docs/browser.md has the marked example');
  assert.equal(match[1], page);
});

test('the minimal page makes a 1:1 call', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  const env = await setUp(t);
  await env.run(async () => {
    const url = `${env.daemon.url}/minimal.html?room=${encodeURIComponent(uniqueRoom('minimal'))}`;
    const first = await env.open(url, { name: 'first' });
    await first.waitForFunction(
      () => document.getElementById('status').textContent.startsWith('in room'),
      null,
      {
        timeout: WAIT_MS,
      },
    );
    const second = await env.open(url, { name: 'second' });
    for (const page of [first, second]) {
      await page.waitForFunction(
        () => {
          const video = document.getElementById('remote');
          if (!(video.videoWidth > 0 && !video.paused)) return false;
          // currentTime must move on from the first value seen.
          window.firstTime ??= video.currentTime;
          return video.currentTime > window.firstTime;
        },
        null,
        { timeout: WAIT_MS, polling: 100 },
      );
      assert.equal(await page.locator('#status').textContent(), 'call: connected');
    }
  });
});
