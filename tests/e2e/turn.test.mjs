// TURN proven with a real coturn: parleyd hands out TURN REST credentials
// (`turn.secret`, `turn.urls`) in `joined.iceServers`; coturn checks them with
// `use-auth-secret`. Two Chromium pages that may only use relayed candidates
// (`iceTransportPolicy: "relay"`) connect through a coturn on loopback, and the
// pair they select is relay/relay. With a wrong `turn.secret` in parleyd coturn
// refuses the credentials, no relayed candidate exists, and the call never connects.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { startCoturn } from './lib/coturn.mjs';
import { uniqueRoom } from './lib/demo-page.mjs';
import { SCENARIO_TIMEOUT_MS, setUp } from './lib/harness.mjs';
import { waitUntil } from './lib/wait.mjs';

/** How long a call with refused credentials is given to connect, anyway (a bound). */
const NOT_CONNECTED_BOUND_MS = 20_000;

/**
 * Runs in a page: joins `room` over parley's native protocol, makes a relay-only
 * RTCPeerConnection with the `iceServers` of `joined`, signals through parley (the
 * second peer in the room offers), and resolves with what happened: `connected`
 * and the selected candidate pair's types, or the ICE state once it `failed` (or
 * after `boundMs`, when it neither connected nor failed).
 */
async function relayOnlyCall({ wsUrl, room, boundMs }) {
  const ws = new WebSocket(wsUrl);
  const received = [];
  const waiters = [];
  ws.onmessage = (event) => {
    received.push(JSON.parse(event.data));
    for (const waiter of waiters.splice(0)) waiter();
  };
  const next = (type) =>
    new Promise((resolve) => {
      const look = () => {
        const index = received.findIndex((m) => m.type === type);
        if (index < 0) return waiters.push(look);
        resolve(received.splice(index, 1)[0]);
      };
      look();
    });
  const send = (message) => ws.send(JSON.stringify(message));

  await next('welcome');
  send({ type: 'join', room });
  const joined = await next('joined');
  const pc = new RTCPeerConnection({ iceServers: joined.iceServers, iceTransportPolicy: 'relay' });
  pc.createDataChannel('probe', { negotiated: true, id: 0 });
  const localCandidates = [];
  pc.onicecandidate = ({ candidate }) => {
    if (candidate) localCandidates.push(candidate.candidate);
    send({ type: 'candidate', candidate: candidate ? candidate.toJSON() : null });
  };

  // Signaling: descriptions first, candidates once the remote description is set.
  let remoteSet = null;
  const remoteReady = new Promise((resolve) => {
    remoteSet = resolve;
  });
  (async () => {
    for (;;) {
      const message = await Promise.race([next('offer'), next('answer')]);
      await pc.setRemoteDescription({ type: message.type, sdp: message.sdp });
      if (message.type === 'offer') {
        await pc.setLocalDescription(await pc.createAnswer());
        send({ type: 'answer', sdp: pc.localDescription.sdp });
      }
      remoteSet();
    }
  })();
  (async () => {
    for (;;) {
      const message = await next('candidate');
      await remoteReady;
      if (message.candidate) await pc.addIceCandidate(message.candidate);
    }
  })();
  if (joined.peers.length > 0) {
    await pc.setLocalDescription(await pc.createOffer());
    send({ type: 'offer', sdp: pc.localDescription.sdp });
  }

  const outcome = await new Promise((resolve) => {
    const check = () => {
      if (pc.connectionState === 'connected') resolve('connected');
      if (pc.connectionState === 'failed' || pc.iceConnectionState === 'failed') resolve('failed');
    };
    pc.addEventListener('connectionstatechange', check);
    pc.addEventListener('iceconnectionstatechange', check);
    check();
    setTimeout(() => resolve(`not connected (${pc.connectionState})`), boundMs);
  });

  const result = { outcome, localCandidates, iceServers: joined.iceServers };
  if (outcome === 'connected') {
    const stats = await pc.getStats();
    let pairId = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    });
    const pair = stats.get(pairId);
    result.pair = {
      local: stats.get(pair.localCandidateId).candidateType,
      remote: stats.get(pair.remoteCandidateId).candidateType,
    };
  }
  pc.close();
  ws.close();
  return result;
}

/** coturn, and parleyd pointed at it with `parleySecret`; both stopped at the end. */
async function turnEnvironment(t, { coturnSecret, parleySecret }) {
  const coturn = await startCoturn({ secret: coturnSecret });
  let env;
  try {
    env = await setUp(t, {
      config: { turn: { urls: [coturn.url], secret: parleySecret, ttl: 600 } },
    });
  } catch (err) {
    await coturn.stop();
    throw err;
  }
  // Registered after setUp's own teardown, so it runs after the browser closed.
  t.after(() => coturn.stop());
  return { env, coturn };
}

/** Both pages run relayOnlyCall in one room; resolves with both results. */
async function callBetweenTwoPages(env, boundMs) {
  const room = uniqueRoom('turn');
  const wsUrl = `${env.daemon.url.replace(/^http/, 'ws')}/ws`;
  const alice = await env.open(`${env.daemon.url}/healthz`, { name: 'alice' });
  const bob = await env.open(`${env.daemon.url}/healthz`, { name: 'bob' });
  const aliceCall = alice.evaluate(relayOnlyCall, { wsUrl, room, boundMs });
  // Bob joins second (he offers): wait until alice is in the room.
  await waitForPeers(env, room, 1);
  const bobCall = bob.evaluate(relayOnlyCall, { wsUrl, room, boundMs });
  return Promise.all([aliceCall, bobCall]);
}

async function waitForPeers(env, room, count) {
  await waitUntil(
    async () => {
      const rooms = await env.daemon.admin('/admin/rooms');
      return rooms.find((r) => r.room === room)?.peers.length === count;
    },
    { what: `${count} peer(s) in room ${room}` },
  );
}

test(
  'a relay-only call connects through coturn with the TURN credentials of joined',
  { timeout: SCENARIO_TIMEOUT_MS },
  async (t) => {
    const secret = randomBytes(16).toString('hex');
    const { env, coturn } = await turnEnvironment(t, {
      coturnSecret: secret,
      parleySecret: secret,
    });
    await env.run(async () => {
      // A bound only: a working relay connects long before it.
      const results = await callBetweenTwoPages(env, 60_000);
      for (const [name, result] of [
        ['alice', results[0]],
        ['bob', results[1]],
      ]) {
        const turnEntry = result.iceServers.find((s) => s.credential);
        assert.deepEqual(turnEntry.urls, [coturn.url], name);
        assert.match(turnEntry.username, /^\d+:[A-Za-z0-9_-]+$/, name);
        assert.equal(result.outcome, 'connected', `${name}: ${JSON.stringify(result)}`);
        assert.deepEqual(result.pair, { local: 'relay', remote: 'relay' }, name);
        assert.ok(result.localCandidates.length > 0, name);
        for (const candidate of result.localCandidates) assert.match(candidate, / typ relay /, name);
      }
    });
  },
);

test(
  'with a wrong turn.secret in parleyd the relay-only call never connects',
  { timeout: SCENARIO_TIMEOUT_MS },
  async (t) => {
    const { env } = await turnEnvironment(t, {
      coturnSecret: randomBytes(16).toString('hex'),
      parleySecret: randomBytes(16).toString('hex'),
    });
    await env.run(async () => {
      const results = await callBetweenTwoPages(env, NOT_CONNECTED_BOUND_MS);
      for (const [name, result] of [
        ['alice', results[0]],
        ['bob', results[1]],
      ]) {
        assert.notEqual(result.outcome, 'connected', `${name}: ${JSON.stringify(result)}`);
        t.diagnostic(`${name}: ${result.outcome}`);
        // coturn refused the credentials: not one relayed candidate was allocated.
        assert.deepEqual(result.localCandidates, [], name);
      }
    });
  },
);
