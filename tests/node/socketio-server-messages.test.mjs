// Server messages (integration-v1 "Server messages") reach socket.io-client v4
// pages as the event server-message(room, data), on both transports, to the room
// and to one peer, beside a native peer of the same room.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WAIT_MS, connectedClient, nativeClient, startDaemon, uniqueRoom } from './socketio-helpers.mjs';

async function postMessage(daemon, room, body) {
  const response = await fetch(`${daemon.adminUrl}/admin/rooms/${encodeURIComponent(room)}/messages`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${daemon.adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('socket.io server messages', () => {
  test('to the room and to one peer, long-polling and WebSocket', async () => {
    const daemon = await startDaemon({ config: { limits: { max_peers_per_room: 4 } } });
    const room = uniqueRoom('server-messages');
    const native = await nativeClient(daemon.url);
    const polling = await connectedClient(daemon.url);
    const websocket = await connectedClient(daemon.url, { transports: ['websocket'] });
    try {
      native.send({ type: 'join', room });
      await native.next('joined');
      for (const client of [polling, websocket]) {
        const joined = await client.socket.timeout(WAIT_MS).emitWithAck('join', room);
        assert.equal(joined.ok, true);
      }

      const data = { notice: 'the host ended the meeting' };
      assert.deepEqual(await postMessage(daemon, room, { data }), { status: 200, body: { delivered: 3 } });
      assert.deepEqual(await polling.next('server-message'), [room, data]);
      assert.deepEqual(await websocket.next('server-message'), [room, data]);
      assert.deepEqual(await native.next('server-message'), { type: 'server-message', room, data });

      const to = websocket.socket.id;
      assert.deepEqual(await postMessage(daemon, room, { data: 'only you', to }), {
        status: 200,
        body: { delivered: 1 },
      });
      assert.deepEqual(await websocket.next('server-message'), [room, 'only you']);
      // The polling peer's next server message is a later one: it got none meant for another.
      assert.deepEqual(await postMessage(daemon, room, { data: 2, to: polling.socket.id }), {
        status: 200,
        body: { delivered: 1 },
      });
      assert.deepEqual(await polling.next('server-message'), [room, 2]);
    } finally {
      polling.close();
      websocket.close();
      native.close();
      assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
    }
  });
});
