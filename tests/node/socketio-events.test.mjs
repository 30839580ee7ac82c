// The real socket.io-client v4 against parleyd's /socket.io/ endpoint: the classic
// 1:1 signaling events over each transport a client may use, acknowledgements,
// namespaces, errors and disconnects (protocol-v1 "socket.io dialect").

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  connectedClient,
  once,
  sioClient,
  startDaemon,
  uniqueRoom,
  WAIT_MS,
} from './socketio-helpers.mjs';

let daemon;

before(async () => {
  daemon = await startDaemon();
});

after(async () => {
  const exit = await daemon.stop();
  assert.deepEqual(exit, { code: 0, signal: null }, 'parleyd exits 0 after SIGTERM');
});

/** Resolves once the client's Engine.IO connection runs over a WebSocket. */
async function upgraded(client) {
  const engine = client.socket.io.engine;
  if (engine.transport.name === 'websocket') return;
  await once(engine, 'upgrade', 'the upgrade to WebSocket');
  assert.equal(engine.transport.name, 'websocket');
}

const MODES = [
  { name: 'websocket only', options: { transports: ['websocket'] }, finalTransport: 'websocket' },
  { name: 'long-polling only', options: { transports: ['polling'] }, finalTransport: 'polling' },
  { name: 'default: long-polling, then the upgrade', options: {}, finalTransport: 'websocket' },
];

for (const mode of MODES) {
  describe(`classic events, ${mode.name}`, () => {
    test('join, otherjoin, full, message, leave, bye, disconnect', async () => {
      const room = uniqueRoom('classic');
      const alice = await connectedClient(daemon.url, mode.options);
      const bob = await connectedClient(daemon.url, mode.options);
      const carol = await connectedClient(daemon.url, mode.options);
      try {
        if (mode.finalTransport === 'websocket') {
          await upgraded(alice);
          await upgraded(bob);
        } else {
          assert.equal(alice.socket.io.engine.transport.name, 'polling');
        }

        alice.socket.emit('join', room);
        assert.deepEqual(await alice.next('joined'), [room, alice.socket.id]);
        bob.socket.emit('join', room);
        assert.deepEqual(await bob.next('joined'), [room, bob.socket.id]);
        assert.deepEqual(await alice.next('otherjoin'), [room, bob.socket.id, {}]);
        carol.socket.emit('join', room);
        assert.deepEqual(await carol.next('full'), [room, carol.socket.id]);

        // Signaling both ways; the sender never hears its own message.
        const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
        alice.socket.emit('message', room, offer);
        assert.deepEqual(await bob.next('message'), [room, offer]);
        const answer = { type: 'answer', sdp: 'v=0\r\n' };
        bob.socket.emit('message', room, answer);
        assert.deepEqual(await alice.next('message'), [room, answer]);
        const candidate = { type: 'candidate', label: 0, id: '0', candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' };
        alice.socket.emit('message', room, candidate);
        assert.deepEqual(await bob.next('message'), [room, candidate]);
        bob.socket.emit('message', room, 'bye for now');
        assert.deepEqual(await alice.next('message'), [room, 'bye for now']);
        assert.equal(alice.received('message'), false, 'alice got her own message');
        assert.equal(bob.received('message'), false, 'bob got his own message');
        assert.equal(carol.received('message'), false, 'carol is not in the room');

        bob.socket.emit('leave', room);
        assert.deepEqual(await bob.next('leaved'), [room, bob.socket.id]);
        assert.deepEqual(await alice.next('bye'), [room, bob.socket.id]);

        // The seat is free again; a disconnect says bye at once.
        carol.socket.emit('join', room);
        assert.deepEqual(await carol.next('joined'), [room, carol.socket.id]);
        assert.deepEqual(await alice.next('otherjoin'), [room, carol.socket.id, {}]);
        const carolId = carol.socket.id;
        carol.close();
        assert.deepEqual(await alice.next('bye'), [room, carolId]);

        assert.equal(alice.socket.io.engine.transport.name, mode.finalTransport);
        assert.ok(alice.socket.connected && bob.socket.connected);
      } finally {
        alice.close();
        bob.close();
        carol.close();
      }
    });

    test('the room is gone once its last peer leaves', async () => {
      const room = uniqueRoom('gone');
      const alice = await connectedClient(daemon.url, mode.options);
      try {
        alice.socket.emit('join', room);
        await alice.next('joined');
        const rooms = await daemon.admin('/admin/rooms');
        assert.deepEqual(
          rooms.find((r) => r.room === room)?.peers,
          [alice.socket.id],
          'the admin API shows the socket.io peer by its id',
        );
        alice.socket.emit('leave', room);
        await alice.next('leaved');
        const after = await daemon.admin('/admin/rooms');
        assert.equal(after.find((r) => r.room === room), undefined);
      } finally {
        alice.close();
      }
    });
  });
}

describe('acknowledgements', () => {
  test('every event answers an acknowledgement with its outcome', async () => {
    const room = uniqueRoom('ack');
    const alice = await connectedClient(daemon.url, { transports: ['websocket'] });
    const bob = await connectedClient(daemon.url);
    const carol = await connectedClient(daemon.url, { transports: ['polling'] });
    try {
      const ask = (client, ...args) => client.socket.timeout(WAIT_MS).emitWithAck(...args);

      const joined = await ask(alice, 'join', room);
      assert.equal(joined.ok, true);
      assert.equal(joined.room, room);
      assert.equal(joined.id, alice.socket.id);
      assert.deepEqual(joined.peers, []);
      assert.ok(Array.isArray(joined.iceServers));
      // The events are sent as well: a page may use either.
      assert.deepEqual(await alice.next('joined'), [room, alice.socket.id]);

      assert.deepEqual((await ask(bob, 'join', room)).peers, [alice.socket.id]);
      assert.deepEqual(await ask(carol, 'join', room), { ok: false, code: 'full', room });

      assert.deepEqual(await ask(alice, 'message', room, { type: 'offer', sdp: 'x' }), { ok: true });
      assert.deepEqual(await bob.next('message'), [room, { type: 'offer', sdp: 'x' }]);
      assert.deepEqual(await ask(carol, 'message', room, 'x'), { ok: false, code: 'not-in-room' });
      assert.deepEqual(await ask(alice, 'no-such-event'), { ok: false, code: 'unknown-type' });
      assert.deepEqual(await ask(bob, 'leave', room), { ok: true, room });
      assert.deepEqual(await ask(bob, 'leave', room), { ok: false, code: 'not-in-room' });
    } finally {
      alice.close();
      bob.close();
      carol.close();
    }
  });
});

describe('errors', () => {
  test('refused requests get parley-error and the connection stays', async () => {
    const room = uniqueRoom('errors');
    const alice = await connectedClient(daemon.url);
    try {
      alice.socket.emit('join', '');
      assert.equal((await alice.next('parley-error'))[0].code, 'bad-room');
      alice.socket.emit('join', 'x'.repeat(65));
      assert.equal((await alice.next('parley-error'))[0].code, 'bad-room');
      alice.socket.emit('join', { room });
      assert.equal((await alice.next('parley-error'))[0].code, 'bad-message');
      alice.socket.emit('message', room, 'not joined yet');
      assert.equal((await alice.next('parley-error'))[0].code, 'not-in-room');
      alice.socket.emit('leave', room);
      assert.equal((await alice.next('parley-error'))[0].code, 'not-in-room');

      alice.socket.emit('join', room);
      await alice.next('joined');
      alice.socket.emit('join', uniqueRoom('second'));
      assert.equal((await alice.next('parley-error'))[0].code, 'already-in-room');
      alice.socket.emit('message', uniqueRoom('elsewhere'), 'x');
      assert.equal((await alice.next('parley-error'))[0].code, 'not-in-room');
      assert.ok(alice.socket.connected);
    } finally {
      alice.close();
    }
  });

  test('a namespace other than the default one gets connect_error', async () => {
    const other = sioClient(`${daemon.url}/admin`);
    try {
      const [message] = await other.next('connect_error');
      assert.equal(message, 'Invalid namespace');
    } finally {
      other.close();
    }
  });
});

describe('disconnects', () => {
  test('socket.disconnect() says bye at once; connect() again is a new peer', async () => {
    const room = uniqueRoom('reconnect');
    const alice = await connectedClient(daemon.url);
    const bob = await connectedClient(daemon.url, { transports: ['websocket'] });
    try {
      alice.socket.emit('join', room);
      await alice.next('joined');
      bob.socket.emit('join', room);
      await bob.next('joined');
      const firstId = bob.socket.id;
      assert.deepEqual(await alice.next('otherjoin'), [room, firstId, {}]);

      bob.socket.disconnect();
      assert.deepEqual(await alice.next('bye'), [room, firstId]);
      assert.deepEqual(await bob.next('disconnect'), ['io client disconnect']);

      bob.socket.connect();
      await once(bob.socket, 'connect');
      assert.notEqual(bob.socket.id, firstId);
      bob.socket.emit('join', room);
      assert.deepEqual(await bob.next('joined'), [room, bob.socket.id]);
      assert.deepEqual(await alice.next('otherjoin'), [room, bob.socket.id, {}]);
    } finally {
      alice.close();
      bob.close();
    }
  });

  test('a client whose process vanishes is a disconnect for the room', async () => {
    const room = uniqueRoom('vanish');
    const alice = await connectedClient(daemon.url);
    const bob = await connectedClient(daemon.url, { transports: ['websocket'] });
    try {
      alice.socket.emit('join', room);
      await alice.next('joined');
      bob.socket.emit('join', room);
      await bob.next('joined');
      const bobId = bob.socket.id;
      // The TCP connection ends without a close frame: no resume in this dialect.
      bob.socket.io.engine.transport.ws._socket.destroy();
      assert.deepEqual(await alice.next('bye'), [room, bobId]);
    } finally {
      alice.close();
      bob.close();
    }
  });

  test('the server pings and the client answers, over both transports', async () => {
    // ping_interval equal to ping_timeout, as in the defaults: an idle client that
    // answers every ping stays connected.
    const local = await startDaemon({ config: { heartbeat: { ping_interval: 1, ping_timeout: 1 } } });
    const polling = await connectedClient(local.url, { transports: ['polling'] });
    const websocket = await connectedClient(local.url, { transports: ['websocket'] });
    try {
      for (const client of [polling, websocket]) {
        for (let i = 0; i < 3; i += 1) await once(client.socket.io, 'ping', 'a server ping');
        assert.ok(client.socket.connected);
      }
    } finally {
      polling.close();
      websocket.close();
      assert.deepEqual(await local.stop(), { code: 0, signal: null });
    }
  });
});
