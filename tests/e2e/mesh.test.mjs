// With limits.max_peers_per_room 4, three pages in one room call each other in a
// full mesh: every page has a connected peer connection and a playing video for
// each of the two others.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCENARIO_TIMEOUT_MS, setUp } from './lib/harness.mjs';
import { demoUrl, remotePeers, uniqueRoom, waitForCall } from './lib/demo-page.mjs';
import { waitUntil } from './lib/wait.mjs';

test(
  'three pages in a room of four make a full-mesh call',
  { timeout: SCENARIO_TIMEOUT_MS },
  async (t) => {
    const env = await setUp(t, { config: { limits: { max_peers_per_room: 4 } } });
    await env.run(async () => {
      const room = uniqueRoom('mesh');
      const url = demoUrl(env.daemon.url, room);
      const peersInRoom = async (n) =>
        waitUntil(
          async () => {
            const entry = (await env.daemon.admin('/admin/rooms')).find((r) => r.room === room);
            return entry?.peers.length === n && entry.peers;
          },
          { what: `${n} peers in /admin/rooms` },
        );

      // One after the other, so that the admin API's join order tells whose id is whose.
      const pages = [];
      for (const name of ['alice', 'bob', 'carol']) {
        pages.push(await env.open(url, { name }));
        await peersInRoom(pages.length);
      }
      for (const page of pages) await waitForCall(page, 2);

      const ids = await peersInRoom(3);
      for (const [i, page] of pages.entries()) {
        const others = ids.filter((_, j) => j !== i).sort();
        assert.deepEqual(
          await remotePeers(page),
          others,
          `page ${i} shows a video of each other peer`,
        );
      }
    });
  },
);
