// A socket.io-client v4 peer and a native protocol-v1 peer (/ws) in one room:
// presence and signaling cross the two dialects both ways (protocol-v1
// "socket.io dialect", last paragraph).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectedClient, nativeClient, startDaemon, uniqueRoom } from './socketio-helpers.mjs';

let daemon;

before(async () => {
  daemon = await startDaemon();
});

after(async () => {
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
});

for (const [name, options] of [
  ['websocket', { transports: ['websocket'] }],
  ['long-polling', { transports: ['polling'] }],
  ['default transports', {}],
]) {
  describe(`socket.io (${name}) with a native peer`, () => {
    test('offers, answers and candidates cross both ways', async () => {
      const room = uniqueRoom('interop');
      const native = await nativeClient(daemon.url);
      const sio = await connectedClient(daemon.url, options);
      try {
        native.send({ type: 'join', room });
        assert.deepEqual((await native.next('joined')).peers, []);

        sio.socket.emit('join', room);
        assert.deepEqual(await sio.next('joined'), [room, sio.socket.id]);
        assert.deepEqual(await native.next('peer-joined'), {
          type: 'peer-joined',
          room,
          id: sio.socket.id,
          meta: {},
        });

        // native -> socket.io: message(room, object), the object without `from`.
        const offer = { type: 'offer', sdp: 'v=0\r\n', rid: 7 };
        native.send(offer);
        assert.deepEqual(await sio.next('message'), [room, offer]);

        // socket.io -> native: the data object with `from` set.
        const answer = { type: 'answer', sdp: 'v=0\r\n' };
        sio.socket.emit('message', room, answer);
        assert.deepEqual(await native.next('answer'), { ...answer, from: sio.socket.id });

        // Candidates as each side writes them.
        const nativeCandidate = {
          type: 'candidate',
          candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0' },
        };
        native.send(nativeCandidate);
        assert.deepEqual(await sio.next('message'), [room, nativeCandidate]);
        const classicCandidate = {
          type: 'candidate',
          label: 0,
          id: '0',
          candidate: 'candidate:2 1 udp 1 127.0.0.1 10 typ host',
        };
        sio.socket.emit('message', room, classicCandidate);
        assert.deepEqual(await native.next('candidate'), {
          ...classicCandidate,
          from: sio.socket.id,
        });

        // Data that is not an object arrives wrapped; `from` cannot be forged.
        sio.socket.emit('message', room, 'hello');
        assert.deepEqual(await native.next('message'), {
          type: 'message',
          data: 'hello',
          from: sio.socket.id,
        });
        sio.socket.emit('message', room, { type: 'message', data: 1, from: 'someone-else' });
        assert.deepEqual(await native.next('message'), {
          type: 'message',
          data: 1,
          from: sio.socket.id,
        });
        // A native message addressed to the socket.io peer keeps its `to`.
        native.send({ type: 'message', data: { x: 1 }, to: sio.socket.id });
        assert.deepEqual(await sio.next('message'), [
          room,
          { type: 'message', data: { x: 1 }, to: sio.socket.id },
        ]);
      } finally {
        native.close();
        sio.close();
      }
    });

    test('presence crosses: join, leave and disconnect on either side', async () => {
      const room = uniqueRoom('presence');
      const sio = await connectedClient(daemon.url, options);
      const native = await nativeClient(daemon.url);
      try {
        sio.socket.emit('join', room);
        await sio.next('joined');
        native.send({ type: 'join', room });
        assert.deepEqual((await native.next('joined')).peers, [sio.socket.id]);
        assert.deepEqual(await sio.next('otherjoin'), [room, native.id, {}]);

        // A native leave is `bye` to socket.io; its join again, `otherjoin`.
        native.send({ type: 'leave' });
        await native.next('left');
        assert.deepEqual(await sio.next('bye'), [room, native.id]);
        native.send({ type: 'join', room });
        await native.next('joined');
        assert.deepEqual(await sio.next('otherjoin'), [room, native.id, {}]);

        // A socket.io leave is `peer-left` with reason leave.
        sio.socket.emit('leave', room);
        await sio.next('leaved');
        assert.deepEqual(await native.next('peer-left'), {
          type: 'peer-left',
          room,
          id: sio.socket.id,
          reason: 'leave',
        });
        sio.socket.emit('join', room);
        await sio.next('joined');
        assert.equal((await native.next('peer-joined')).id, sio.socket.id);

        // A socket.io disconnect is `peer-left` disconnect, at once.
        const sioId = sio.socket.id;
        sio.close();
        assert.deepEqual(await native.next('peer-left'), {
          type: 'peer-left',
          room,
          id: sioId,
          reason: 'disconnect',
        });
      } finally {
        native.close();
        sio.close();
      }
    });
  });
}

describe('admin removal of a socket.io peer', () => {
  test('the peer hears leaved, a native room-mate peer-left kicked', async () => {
    const room = uniqueRoom('kick');
    const sio = await connectedClient(daemon.url);
    const native = await nativeClient(daemon.url);
    try {
      sio.socket.emit('join', room);
      await sio.next('joined');
      native.send({ type: 'join', room });
      await native.next('joined');
      const response = await fetch(
        `${daemon.adminUrl}/admin/peers/${encodeURIComponent(sio.socket.id)}`,
        { method: 'DELETE', headers: { Authorization: `Bearer ${daemon.adminToken}` } },
      );
      assert.ok(response.ok, `DELETE /admin/peers: HTTP ${response.status}`);
      assert.deepEqual(await sio.next('leaved'), [room, sio.socket.id]);
      assert.deepEqual(await native.next('peer-left'), {
        type: 'peer-left',
        room,
        id: sio.socket.id,
        reason: 'kicked',
      });
      assert.ok(sio.socket.connected, 'a removed peer stays connected');
    } finally {
      native.close();
      sio.close();
    }
  });
});
