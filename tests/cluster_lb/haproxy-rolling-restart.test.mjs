// A call survives a rolling restart of the whole cluster behind a real load
// balancer (issue 18, item 9; cluster-v1.md "Rolling restart under traffic").
//
// One redis-server, three parleyd nodes on it and Debian's haproxy in front,
// configured with docs/operations.md's example. Two peers, each a web/parley.js
// client (its own reconnect-and-resume logic, on the `ws` package), share a room
// through haproxy and send each other numbered messages without pause while each
// node in turn gets SIGTERM (its sessions close with 1012 and resume through
// haproxy on another node), comes back on its port and is awaited until haproxy
// marks it up again. Then: nobody heard `peer-left`, nobody lost their session,
// and each peer got the other's messages exactly once and in order. The one loss
// the contract allows, messages the moving peer itself sent from 200 ms before its
// node's SIGTERM until its resume (they race with the drain), is told apart by the
// send times and counted, never hidden: everything else must arrive.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { ParleyClient } from '../../web/parley.js';
import { SOURCE_DIR, startDaemon } from '../e2e/lib/daemon.mjs';
import { waitUntil } from '../e2e/lib/wait.mjs';
import { documentedConfig, startHaproxy } from './lib/haproxy.mjs';
import { startRedis } from './lib/redis.mjs';

const NODES = 3;
const ROOM = 'rolling-restart';
// 40 messages a second: below the default rate limit (limits.messages_per_second
// 50), so that what a peer queued while moving fits in the burst (200) on resume.
const SEND_EVERY_MS = 25;
// cluster-v1.md: what a moving peer sends this long before its node's SIGTERM may be lost.
const DRAIN_RACE_MS = 200;
// Fresh messages each peer must receive after a node is back, before the next
// restart: the call is under traffic all along, not only at the start.
const MESSAGES_BETWEEN_RESTARTS = 50;

// A node's settings: the cluster, and room for every message sent to a moving
// peer while it is away (the default 64 covers 1.6 s of this traffic; haproxy
// needs up to `fall 2` x `inter 1s` to stop sending new connections to a draining
// node, and a reconnect refused meanwhile backs off).
const nodeConfig = (redisUrl) => ({
  cluster: { redis: redisUrl },
  resume: { buffer_messages: 4096 },
  log: { level: 'info' },
});

/** One peer: a parley.js client and what it saw. */
function makePeer(name, url) {
  const client = new ParleyClient(url, {
    WebSocket,
    // Everything sent while reconnecting is kept and sent after the resume.
    maxQueued: 1_000_000,
  });
  const peer = {
    name,
    client,
    sent: [], // {seq, at}
    received: new Map(), // sender id -> [seq, ...]
    peerLeft: [],
    resumeFailed: [],
    errors: [], // error messages (e.g. rate-limited) and a final close

    moves: [], // {code, lostAt, resumedAt}
  };
  client.on('message', (m) => {
    if (!peer.received.has(m.from)) peer.received.set(m.from, []);
    peer.received.get(m.from).push(m.data.seq);
  });
  client.on('peer-left', (m) => peer.peerLeft.push(m));
  client.on('resume-failed', (e) => peer.resumeFailed.push(e));
  client.on('error', (e) => peer.errors.push(e));
  client.on('close', (e) => peer.errors.push({ close: e }));
  client.on('reconnecting', (e) => {
    if (e.attempt === 1) peer.moves.push({ code: e.code, lostAt: Date.now(), resumedAt: null });
  });
  client.on('resumed', () => {
    peer.moves[peer.moves.length - 1].resumedAt = Date.now();
  });
  return peer;
}

/** Sends `{seq}` to the room every SEND_EVERY_MS until stopped. */
function startSending(peer) {
  let seq = 0;
  const timer = setInterval(() => {
    seq += 1;
    peer.sent.push({ seq, at: Date.now() });
    peer.client.send('message', { data: { seq } });
  }, SEND_EVERY_MS);
  return () => clearInterval(timer);
}

function receivedFrom(receiver, sender) {
  return receiver.received.get(sender.client.id) ?? [];
}

/**
 * Checks `sender` -> `receiver`: strictly increasing (no duplicate, no reordering),
 * and every missing message one that the contract lets the drain race lose.
 * Returns how many were lost that way.
 */
function checkDelivery(sender, receiver, sigterms) {
  const got = receivedFrom(receiver, sender);
  for (let i = 1; i < got.length; i += 1) {
    assert.ok(
      got[i] > got[i - 1],
      `${receiver.name} got ${sender.name}'s message ${got[i]} after ${got[i - 1]} (duplicate or reordered)`,
    );
  }
  const arrived = new Set(got);
  // A send may be lost only inside one of the sender's 1012 moves: from 200 ms before
  // the SIGTERM that caused it until its resume.
  const windows = sender.moves
    .filter((move) => move.code === 1012)
    .map((move) => {
      const before = sigterms.filter((at) => at <= move.lostAt);
      assert.ok(before.length > 0, `${sender.name} got 1012 before any SIGTERM`);
      return { from: Math.max(...before) - DRAIN_RACE_MS, to: move.resumedAt };
    });
  let racedWithDrain = 0;
  for (const { seq, at } of sender.sent) {
    if (arrived.has(seq)) continue;
    const allowed = windows.some((w) => at >= w.from && at <= w.to);
    assert.ok(
      allowed,
      `${receiver.name} never got ${sender.name}'s message ${seq}, sent outside any drain ` +
        `(moves: ${JSON.stringify(sender.moves)}, SIGTERMs: ${JSON.stringify(sigterms)})`,
    );
    racedWithDrain += 1;
  }
  return racedWithDrain;
}

test('a call keeps going through haproxy while every node restarts', { timeout: 200_000 }, async (t) => {
  // Torn down in reverse: clients, haproxy, nodes (each drains with Redis still
  // there), Redis.
  const teardown = [];
  t.after(async () => {
    for (const step of teardown.reverse()) await step().catch(() => {});
  });
  const redis = await startRedis();
  teardown.push(() => redis.stop());

  const nodes = [];
  teardown.push(() => Promise.all(nodes.map((node) => node?.stop())));
  for (let i = 0; i < NODES; i += 1) nodes.push(await startDaemon({ config: nodeConfig(redis.url) }));
  const ports = nodes.map((node) => node.port);
  const readyz = async (node) => (await fetch(`${node.url}/readyz`)).status === 200;
  for (const node of nodes) await waitUntil(() => readyz(node), { what: 'a node to be ready' });

  const proxy = await startHaproxy(ports);
  teardown.push(() => proxy.stop());
  await proxy.awaitAllUp();

  const alice = makePeer('alice', proxy.url);
  const bob = makePeer('bob', proxy.url);
  teardown.push(async () => {
    alice.client.close();
    bob.client.close();
  });
  await alice.client.connect();
  await bob.client.connect();
  await alice.client.join(ROOM);
  const joined = await bob.client.join(ROOM);
  assert.deepEqual(joined.peers, [alice.client.id]);
  const ids = [alice.client.id, bob.client.id];

  const stops = [startSending(alice), startSending(bob)];
  const sigterms = [];
  const awaitFreshTraffic = async (what) => {
    const from = [receivedFrom(bob, alice).length, receivedFrom(alice, bob).length];
    await waitUntil(
      () =>
        receivedFrom(bob, alice).length >= from[0] + MESSAGES_BETWEEN_RESTARTS &&
        receivedFrom(alice, bob).length >= from[1] + MESSAGES_BETWEEN_RESTARTS,
      { what },
    );
  };
  try {
    await awaitFreshTraffic('traffic before the first restart');
    for (let i = 0; i < NODES; i += 1) {
      sigterms.push(Date.now());
      const exit = await nodes[i].stop();
      assert.deepEqual(exit, { code: 0, signal: null }, `node ${i + 1} exits 0 after SIGTERM`);
      nodes[i] = null;
      // Its sessions are back (resumed through haproxy on another node) ...
      await waitUntil(() => alice.client.state === 'open' && bob.client.state === 'open', {
        what: `both peers connected after node ${i + 1} stopped`,
      });
      // ... and the node comes back where haproxy expects it, as an operator's
      // rolling restart does (docs/cluster.md): ready, then marked up, then the next.
      nodes[i] = await startDaemon({ config: nodeConfig(redis.url), port: ports[i] });
      await waitUntil(() => readyz(nodes[i]), { what: `node ${i + 1} ready again` });
      await proxy.awaitAllUp(`haproxy to mark node ${i + 1} up again`);
      await awaitFreshTraffic(`traffic after node ${i + 1} came back`);
    }
  } catch (err) {
    const state = (peer, other) =>
      `${peer.name}: ${peer.client.state}, sent ${peer.sent.length}, got ` +
      `${receivedFrom(peer, other).length} (last ${receivedFrom(peer, other).at(-1)}), ` +
      `moves ${JSON.stringify(peer.moves)}, errors ${JSON.stringify(peer.errors)}`;
    err.message +=
      `\n${state(alice, bob)}\n${state(bob, alice)}\nSIGTERMs ${JSON.stringify(sigterms)}` +
      `\n--- haproxy ---\n${proxy.log()}` +
      nodes.map((node, i) => `\n--- node ${i + 1} ---\n${node?.log() ?? '(stopped)'}`).join('');
    throw err;
  } finally {
    for (const stop of stops) stop();
  }

  // The last message each sent arrives last (order is kept), so it marks the end.
  const lastSeq = (peer) => peer.sent[peer.sent.length - 1].seq;
  await waitUntil(
    () =>
      receivedFrom(bob, alice).at(-1) === lastSeq(alice) &&
      receivedFrom(alice, bob).at(-1) === lastSeq(bob),
    { what: "each peer's last message to arrive" },
  );

  assert.deepEqual([alice.client.id, bob.client.id], ids, 'both kept their peer ids');
  assert.deepEqual(alice.peerLeft, [], 'alice heard no peer-left');
  assert.deepEqual(bob.peerLeft, [], 'bob heard no peer-left');
  assert.deepEqual([...alice.resumeFailed, ...bob.resumeFailed], [], 'every reconnect resumed');
  assert.deepEqual([...alice.errors, ...bob.errors], [], 'no error, no close');
  assert.deepEqual(alice.client.peers, [bob.client.id]);
  assert.deepEqual(bob.client.peers, [alice.client.id]);
  for (const peer of [alice, bob]) {
    // Every node was restarted, so each peer's node was, at least once.
    assert.ok(
      peer.moves.some((move) => move.code === 1012 && move.resumedAt !== null),
      `${peer.name} moved with 1012 and resumed (moves: ${JSON.stringify(peer.moves)})`,
    );
  }
  const lostByAlice = checkDelivery(alice, bob, sigterms);
  const lostByBob = checkDelivery(bob, alice, sigterms);
  t.diagnostic(
    `alice sent ${alice.sent.length}, bob sent ${bob.sent.length}; moves: alice ` +
      `${alice.moves.length}, bob ${bob.moves.length}; lost in the drain race (allowed): ` +
      `${lostByAlice + lostByBob}`,
  );
});

// docker/compose.cluster.yaml's haproxy runs the same example (with compose's names
// for the nodes and Docker's DNS): every directive of the documented example but its
// addresses is there, and haproxy accepts the file. Compose itself is not run here.
test('docker/haproxy.cfg is the documented example', async () => {
  const file = path.join(SOURCE_DIR, 'docker', 'haproxy.cfg');
  const lines = (await readFile(file, 'utf8')).split('\n').map((line) => line.trim());
  const directives = (await documentedConfig())
    .map((line) => line.trim())
    .filter((line) => line && !/^(bind|server)\s/.test(line));
  for (const directive of directives) {
    assert.ok(lines.includes(directive), `docker/haproxy.cfg lacks '${directive}'`);
  }
  await promisify(execFile)('haproxy', ['-c', '-q', '-f', file]);
});
