// A 1:1 room (the default limit of two) turns a third page away with `full`; when one
// peer hangs up the other is `waiting` again, and when it hangs up too the server
// destroys the empty room.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCENARIO_TIMEOUT_MS, setUp } from './lib/harness.mjs';
import {
  demoUrl,
  hangUp,
  remotePeers,
  uniqueRoom,
  waitForCall,
  waitForStatus,
} from './lib/demo-page.mjs';
import { waitUntil } from './lib/wait.mjs';

test(
  'a third page gets full; hanging up frees the room and destroys it',
  { timeout: SCENARIO_TIMEOUT_MS },
  async (t) => {
    const env = await setUp(t);
    await env.run(async () => {
      const room = uniqueRoom('full');
      const url = demoUrl(env.daemon.url, room);
      const alice = await env.open(url, { name: 'alice' });
      await waitForStatus(alice, 'waiting');
      const bob = await env.open(url, { name: 'bob' });
      await waitForCall(alice, 1);
      await waitForCall(bob, 1);

      const carol = await env.open(url, { name: 'carol' });
      await waitForStatus(carol, 'full');
      assert.deepEqual(await remotePeers(carol), [], 'a page that got full shows no remote video');
      const [entry] = (await env.daemon.admin('/admin/rooms')).filter((r) => r.room === room);
      assert.equal(entry?.peers.length, 2, 'the room still holds exactly its two peers');

      await hangUp(alice);
      await waitForStatus(alice, 'left');
      await waitForStatus(bob, 'waiting');
      await waitUntil(async () => (await remotePeers(bob)).length === 0, {
        what: "bob's remote video of alice to go away",
      });

      await hangUp(bob);
      await waitForStatus(bob, 'left');
      const rooms = await waitUntil(
        async () => {
          const list = await env.daemon.admin('/admin/rooms');
          return list.length === 0 && list;
        },
        { what: 'GET /admin/rooms to return []' },
      );
      assert.deepEqual(rooms, []);
    });
  },
);
