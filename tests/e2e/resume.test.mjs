// A dropped WebSocket does not end a call. One page reaches the daemon through a TCP
// proxy; the test resets the proxied connections mid-call (the daemon sees the
// connection lost, with no close frame). The page shows `reconnecting`, resumes its
// session with the same peer id, and the media between the browsers never stops.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCENARIO_TIMEOUT_MS, setUp } from './lib/harness.mjs';
import {
  demoUrl,
  remotePeers,
  statusHistory,
  uniqueRoom,
  waitForCall,
  waitForPlayingVideos,
  waitForStatus,
} from './lib/demo-page.mjs';
import { startTcpProxy } from './lib/tcp-proxy.mjs';

test(
  'a page whose connection drops resumes its session and the call goes on',
  { timeout: SCENARIO_TIMEOUT_MS },
  async (t) => {
    const env = await setUp(t);
    const proxy = await startTcpProxy(env.daemon.host, env.daemon.port);
    env.defer(() => proxy.close());

    await env.run(async () => {
      const room = uniqueRoom('resume');
      // Alice loads the page, and so opens its WebSocket, through the proxy.
      const alice = await env.open(demoUrl(`http://127.0.0.1:${proxy.port}`, room), {
        name: 'alice',
      });
      await waitForStatus(alice, 'waiting');
      const bob = await env.open(demoUrl(env.daemon.url, room), { name: 'bob' });
      await waitForCall(alice, 1);
      await waitForCall(bob, 1);

      const [aliceIdBefore] = await remotePeers(bob);
      const [bobIdBefore] = await remotePeers(alice);
      const peerConnectionsBefore = await alice.evaluate(
        () => window.__parleyProbes.peerConnections.length,
      );
      const bobHistoryBefore = (await statusHistory(bob)).length;

      // Hold reconnects at the proxy so that `reconnecting` stays on screen until the
      // test has seen it, then cut every connection alice has.
      proxy.hold();
      const dropped = proxy.dropAll();
      assert.ok(dropped >= 1, 'alice had a connection through the proxy');
      await waitForStatus(alice, 'reconnecting');
      proxy.release();
      await waitForStatus(alice, 'connected');

      // Same session: bob still sees alice under her old id, alice still sees bob, and
      // no peer connection was rebuilt.
      assert.deepEqual(
        await remotePeers(bob),
        [aliceIdBefore],
        "bob's video of alice keeps alice's peer id",
      );
      assert.deepEqual(await remotePeers(alice), [bobIdBefore]);
      assert.equal(
        await alice.evaluate(() => window.__parleyProbes.peerConnections.length),
        peerConnectionsBefore,
        'alice made no new RTCPeerConnection',
      );
      // Bob was told nothing: his page never left `connected`.
      const bobHistoryAfter = (await statusHistory(bob)).slice(bobHistoryBefore - 1);
      assert.deepEqual(bobHistoryAfter, ['connected'], "bob's status stayed connected");

      // Media keeps flowing both ways.
      await waitForPlayingVideos(alice, 1);
      await waitForPlayingVideos(bob, 1);

      // And signaling works again through the new connection: a fresh ICE negotiation
      // (an offer and an answer relayed by the server) brings the call back up.
      await alice.evaluate(() => {
        for (const pc of window.__parleyProbes.peerConnections)
          if (pc.connectionState !== 'closed') pc.restartIce();
      });
      await waitForCall(alice, 1);
      await waitForCall(bob, 1);
    });
  },
);
