// Two browsers open the demo page for one room and make a real call through parley:
// both peer connections come up, both pages say `connected`, and each page's remote
// video plays frames from the other's (fake) camera.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCENARIO_TIMEOUT_MS, setUp } from './lib/harness.mjs';
import { demoUrl, remotePeers, uniqueRoom, waitForCall, waitForStatus } from './lib/demo-page.mjs';
import { waitUntil } from './lib/wait.mjs';

test('two pages in one room make a video call', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  const env = await setUp(t);
  await env.run(async () => {
    const room = uniqueRoom('call');
    const alice = await env.open(demoUrl(env.daemon.url, room), { name: 'alice' });
    await waitForStatus(alice, 'waiting');
    const bob = await env.open(demoUrl(env.daemon.url, room), { name: 'bob' });

    await waitForCall(alice, 1);
    await waitForCall(bob, 1);

    // The admin API lists the room's peers in join order: alice, then bob. Each page's
    // remote video is labelled with the other one's id.
    const info = await waitUntil(
      async () => {
        const rooms = await env.daemon.admin('/admin/rooms');
        const entry = rooms.find((r) => r.room === room);
        return entry?.peers.length === 2 && entry;
      },
      { what: 'the room with two peers in /admin/rooms' },
    );
    const [aliceId, bobId] = info.peers;
    assert.deepEqual(await remotePeers(alice), [bobId]);
    assert.deepEqual(await remotePeers(bob), [aliceId]);
  });
});
