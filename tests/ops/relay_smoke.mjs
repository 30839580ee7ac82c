// A join/relay exchange against a running parleyd, for scripts/docker-smoke.
//
//   node relay_smoke.mjs ws://127.0.0.1:PORT/ws            two peers join a room; an
//                                                          offer and an answer cross
//   node relay_smoke.mjs --hold ws://127.0.0.1:PORT/ws     one peer joins and waits; prints
//                                                          "holding", then "closed <code>"
//                                                          when the server closes it
//
// Uses the `ws` package of tests/node_modules (`npm ci` in tests/), not a global
// WebSocket: Debian 12's Node.js 18 has none. Every wait is bounded: a missing
// message fails with what was expected instead of hanging. Exit 0: pass, 1: fail.

import WebSocket from 'ws';

const WAIT_MS = 10000;

// One WebSocket client that queues what it receives, so that a test can wait
// for a message that has already arrived.
class Peer {
  constructor(name, url) {
    this.name = name;
    this.received = [];
    this.waiters = [];
    this.closed = new Promise((resolve) => {
      this.socket = new WebSocket(url);
      this.socket.addEventListener('close', (event) => resolve(event.code));
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.addEventListener('open', resolve, { once: true });
      this.socket.addEventListener('error', () => reject(new Error(`${name}: connection failed`)), {
        once: true,
      });
    });
    this.socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(String(event.data));
      } catch {
        message = { unparsable: String(event.data) };
      }
      // The oldest waiter that wants it takes it; otherwise it waits in the queue.
      const index = this.waiters.findIndex((waiter) => waiter(message));
      if (index >= 0) {
        this.waiters.splice(index, 1);
      } else {
        this.received.push(message);
      }
    });
  }

  // The first message (already received or still to come) that `match` accepts.
  next(what, match) {
    const index = this.received.findIndex(match);
    if (index >= 0) return Promise.resolve(this.received.splice(index, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.name}: no ${what} within ${WAIT_MS} ms; got ${JSON.stringify(this.received)}`));
      }, WAIT_MS);
      this.waiters.push((message) => {
        if (!match(message)) return false;
        clearTimeout(timer);
        resolve(message);
        return true;
      });
    });
  }

  ofType(type) {
    return this.next(`"${type}"`, (message) => message.type === type);
  }

  send(object) {
    this.socket.send(JSON.stringify(object));
  }
}

function expect(condition, what) {
  if (!condition) throw new Error(`expected ${what}`);
  console.log(`ok: ${what}`);
}

async function relay(url) {
  const room = `smoke-${process.pid}-${Date.now()}`;

  const alice = new Peer('alice', url);
  await alice.opened;
  const aliceWelcome = await alice.ofType('welcome');
  expect(typeof aliceWelcome.id === 'string' && aliceWelcome.version === 1, 'welcome with an id and version 1');
  alice.send({ type: 'join', room, rid: 'a1' });
  const aliceJoined = await alice.ofType('joined');
  expect(aliceJoined.room === room && aliceJoined.peers.length === 0, 'first peer joins an empty room');
  expect(aliceJoined.rid === 'a1', 'joined carries the rid of the join');

  const bob = new Peer('bob', url);
  await bob.opened;
  const bobWelcome = await bob.ofType('welcome');
  bob.send({ type: 'join', room });
  const bobJoined = await bob.ofType('joined');
  expect(
    bobJoined.peers.length === 1 && bobJoined.peers[0] === aliceWelcome.id,
    'second peer sees the first in joined.peers',
  );
  const peerJoined = await alice.ofType('peer-joined');
  expect(peerJoined.id === bobWelcome.id, 'first peer is told of the second');

  const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=parley smoke\r\n';
  alice.send({ type: 'offer', sdp, to: bobWelcome.id, from: 'spoofed' });
  const offer = await bob.ofType('offer');
  expect(offer.sdp === sdp && offer.from === aliceWelcome.id, 'offer relayed with from set by the server');

  bob.send({ type: 'answer', sdp: 'v=0 answer' });
  const answer = await alice.ofType('answer');
  expect(answer.sdp === 'v=0 answer' && answer.from === bobWelcome.id, 'answer relayed back');

  alice.send({ type: 'leave' });
  await alice.ofType('left');
  const peerLeft = await bob.ofType('peer-left');
  expect(peerLeft.id === aliceWelcome.id && peerLeft.reason === 'leave', 'peer-left after a leave');

  alice.socket.close(1000);
  bob.socket.close(1000);
  await Promise.all([alice.closed, bob.closed]);
}

// Joins and waits for the server to close the connection (the caller stops
// the server); prints the close code.
async function hold(url) {
  const peer = new Peer('holder', url);
  await peer.opened;
  await peer.ofType('welcome');
  peer.send({ type: 'join', room: `smoke-hold-${process.pid}` });
  await peer.ofType('joined');
  console.log('holding');
  const code = await peer.closed;
  console.log(`closed ${code}`);
}

const args = process.argv.slice(2);
const holdMode = args[0] === '--hold';
const url = holdMode ? args[1] : args[0];
if (!url) {
  console.error('usage: node relay_smoke.mjs [--hold] ws://HOST:PORT/ws');
  process.exit(2);
}

try {
  await (holdMode ? hold(url) : relay(url));
  process.exit(0);
} catch (error) {
  console.error(`FAIL: ${error.message}`);
  process.exit(1);
}
