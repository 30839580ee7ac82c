// The demo page's application features (integration-v1, docs/browser.md "The demo
// page"): display names from `?name=` shown on the others' tiles; a lobby that lists
// who is in a room before joining it (a watch); and a viewer driven by its token's
// `relay: ["answer", "candidate"]` grant, which receives a broadcaster's video while
// its own offer and message are refused with `forbidden`.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { SCENARIO_TIMEOUT_MS, setUp } from './lib/harness.mjs';
import { SOURCE_DIR } from './lib/daemon.mjs';
import {
  WAIT_MS,
  demoUrl,
  hangUp,
  uniqueRoom,
  waitForCall,
  waitForPlayingVideos,
  waitForStatus,
} from './lib/demo-page.mjs';

const run = promisify(execFile);

/** A join token minted by scripts/make-token (which the docs tell people to use). */
async function makeToken(secret, room, ...options) {
  const script = path.join(SOURCE_DIR, 'scripts', 'make-token');
  const { stdout } = await run(script, [...options, secret, room, '600']);
  return stdout.trim();
}

/** The names on the page's remote tiles, sorted. */
async function tileNames(page) {
  const names = await page
    .locator('[data-testid="peer-name"]')
    .evaluateAll((spans) => spans.map((s) => s.textContent));
  return names.sort();
}

/** Waits until the lobby lists exactly `names` (in join order). */
async function waitForLobby(page, names) {
  try {
    await page.waitForFunction(
      (want) => {
        const list = document.querySelector('[data-testid="lobby-peers"]');
        if (!list || list.closest('[hidden]')) return false;
        const have = [...list.querySelectorAll('li')].map((li) => li.textContent);
        return JSON.stringify(have) === JSON.stringify(want);
      },
      names,
      { timeout: WAIT_MS, polling: 100 },
    );
  } catch (err) {
    const have = await page
      .locator('[data-testid="lobby-peers"] li')
      .allTextContents()
      .catch(() => []);
    throw new Error(`the lobby never listed [${names}] (it lists [${have}])`, { cause: err });
  }
}

test('two named peers see each other\'s names', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  const env = await setUp(t);
  await env.run(async () => {
    const room = uniqueRoom('names');
    const ada = await env.open(`${demoUrl(env.daemon.url, room)}&name=Ada`, { name: 'ada' });
    await waitForStatus(ada, 'waiting');
    const bob = await env.open(`${demoUrl(env.daemon.url, room)}&name=Bob`, { name: 'bob' });
    await waitForCall(ada, 1);
    await waitForCall(bob, 1);
    await ada.waitForFunction(
      () => document.querySelector('[data-testid="peer-name"]')?.textContent === 'Bob',
    );
    assert.deepEqual(await tileNames(ada), ['Bob']);
    assert.deepEqual(await tileNames(bob), ['Ada']);
    assert.equal(await ada.locator('[data-testid="self-name"]').textContent(), 'You (Ada)');
    // The server holds the names as the peers' metadata.
    const info = await env.daemon.admin(`/admin/rooms/${encodeURIComponent(room)}`);
    assert.deepEqual(
      Object.values(info.meta).map((m) => m.name).sort(),
      ['Ada', 'Bob'],
    );
  });
});

test('a lobby sees a peer arrive and leave', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  const env = await setUp(t);
  await env.run(async () => {
    const room = uniqueRoom('lobby');
    // The lobby of `room`: not joined, only watching.
    const lobby = await env.open(`${env.daemon.url}/?room=${encodeURIComponent(room)}`, {
      name: 'lobby',
    });
    await waitForLobby(lobby, []);
    assert.equal(await lobby.locator('#lobby-presence-label').textContent(), 'Nobody is in this room yet.');

    const cy = await env.open(`${demoUrl(env.daemon.url, room)}&name=Cy`, { name: 'cy' });
    await waitForStatus(cy, 'waiting');
    await waitForLobby(lobby, ['Cy']);
    // The watcher took no seat: Cy is alone in the room.
    const info = await env.daemon.admin(`/admin/rooms/${encodeURIComponent(room)}`);
    assert.equal(info.peers.length, 1);

    await hangUp(cy);
    await waitForStatus(cy, 'left');
    await waitForLobby(lobby, []);
  });
});

test(
  'a viewer gets the broadcaster\'s video; its offer and message are forbidden',
  { timeout: SCENARIO_TIMEOUT_MS },
  async (t) => {
    const secret = 'e2e-viewer-secret-0123456789abcdef';
    const env = await setUp(t, { config: { auth: { jwt_secret: secret } } });
    await env.run(async () => {
      const room = uniqueRoom('show');
      const casterToken = await makeToken(secret, room);
      const viewerToken = await makeToken(secret, room, '--relay', 'answer,candidate');
      const caster = await env.open(
        `${demoUrl(env.daemon.url, room)}&name=Caster&token=${casterToken}`,
        { name: 'caster' },
      );
      await waitForStatus(caster, 'waiting');
      const viewer = await env.open(
        `${demoUrl(env.daemon.url, room)}&name=Viewer&token=${viewerToken}`,
        { name: 'viewer' },
      );

      // The broadcaster calls the viewer; the viewer answers and plays its video.
      await waitForStatus(viewer, 'connected');
      await waitForPlayingVideos(viewer, 1);
      await waitForStatus(caster, 'connected');
      assert.deepEqual(await tileNames(viewer), ['Caster']);
      assert.deepEqual(await tileNames(caster), ['Viewer (viewer)']);
      // The viewer watches the room too: its list shows both.
      await waitForLobby(viewer, ['Caster', 'Viewer (viewer)']);

      // Its own offer and message are refused, each with `forbidden`.
      const codes = await viewer.evaluate(
        () =>
          new Promise((resolve) => {
            const client = window.parleyDemo.client;
            const seen = [];
            const off = client.on('error', ({ code }) => {
              seen.push(code);
              if (seen.length === 2) {
                off();
                resolve(seen);
              }
            });
            client.send('offer', { sdp: 'v=0\r\n' });
            client.send('message', { data: { chat: 'hello' } });
          }),
      );
      assert.deepEqual(codes, ['forbidden', 'forbidden']);
      // The call is unharmed.
      assert.equal(await caster.locator('[data-testid="status"]').textContent(), 'connected');
    });
  },
);
