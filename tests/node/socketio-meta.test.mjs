// Peer metadata, watching and token grants in the socket.io dialect
// (docs/socketio.md "Metadata, watching and token grants"), with socket.io-client v4
// and a native peer in the same rooms.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { WAIT_MS, connectedClient, nativeClient, startDaemon, uniqueRoom } from './socketio-helpers.mjs';

async function withDaemon(config, body) {
  const daemon = await startDaemon({ config });
  try {
    await body(daemon);
  } finally {
    assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  }
}

function joinToken(secret, claims) {
  const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

const ask = (client, ...args) => client.socket.timeout(WAIT_MS).emitWithAck(...args);

describe('socket.io metadata and watching', () => {
  test('join(room, meta), otherjoin with meta, update-meta across dialects', async () => {
    await withDaemon({}, async (daemon) => {
      const room = uniqueRoom('meta');
      const native = await nativeClient(daemon.url);
      const sio = await connectedClient(daemon.url, { transports: ['websocket'] });
      try {
        native.send({ type: 'join', room, meta: { name: 'Ada' } });
        await native.next('joined');
        const joined = await ask(sio, 'join', room, { name: 'Sio' });
        assert.equal(joined.ok, true);
        assert.deepEqual(joined.meta, { [native.id]: { name: 'Ada' } });
        assert.deepEqual((await native.next('peer-joined')).meta, { name: 'Sio' });

        // A native update reaches socket.io as peer-updated(room, id, meta).
        native.send({ type: 'update-meta', meta: { name: 'Ada L.' } });
        assert.deepEqual(await sio.next('peer-updated'), [room, native.id, { name: 'Ada L.' }]);
        // And the other way.
        const updated = await ask(sio, 'update-meta', { name: 'Sio 2' });
        assert.deepEqual(updated, { ok: true, room, meta: { name: 'Sio 2' } });
        assert.deepEqual(await sio.next('meta-updated'), [room, { name: 'Sio 2' }]);
        const seen = await native.next('peer-updated');
        assert.deepEqual(seen, { type: 'peer-updated', room, id: sio.socket.id, meta: { name: 'Sio 2' } });

        // Bad metadata.
        assert.deepEqual(await ask(sio, 'update-meta', 'Sio'), { ok: false, code: 'bad-message' });
        const [error] = await sio.next('parley-error');
        assert.equal(error.code, 'bad-message');
      } finally {
        sio.close();
        native.close();
      }
    });
  });

  test('watch(room) gets presence but no messages; limits and unwatch', async () => {
    await withDaemon({ limits: { max_watches: 1 } }, async (daemon) => {
      const room = uniqueRoom('watch');
      const watcher = await connectedClient(daemon.url);
      const native = await nativeClient(daemon.url);
      const other = await nativeClient(daemon.url);
      try {
        assert.deepEqual(await ask(watcher, 'watch', room), { ok: true, room, peers: [], meta: {} });
        assert.deepEqual(await watcher.next('watching'), [room, [], {}]);
        assert.deepEqual(await ask(watcher, 'watch', 'second'), { ok: false, code: 'watch-limit' });

        native.send({ type: 'join', room, meta: { name: 'Ada' } });
        assert.deepEqual(await watcher.next('otherjoin'), [room, native.id, { name: 'Ada' }]);
        other.send({ type: 'join', room });
        await native.next('peer-joined');
        native.send({ type: 'message', data: 'not for watchers' });
        await other.next('message');
        native.send({ type: 'leave' });
        assert.deepEqual(await watcher.next('bye'), [room, native.id]);
        assert.equal(watcher.received('message'), false);

        assert.deepEqual(await ask(watcher, 'unwatch', room), { ok: true, room });
        assert.deepEqual(await ask(watcher, 'unwatch', room), { ok: false, code: 'not-watching' });
      } finally {
        watcher.close();
        native.close();
        other.close();
      }
    });
  });

  test('token grants: pinned metadata, relay types', async () => {
    const secret = 'socketio-meta-secret-0123456789abcdef';
    await withDaemon({ auth: { jwt_secret: secret } }, async (daemon) => {
      const room = uniqueRoom('grants');
      const exp = Math.floor(Date.now() / 1000) + 600;
      const native = await nativeClient(daemon.url);
      const viewer = await connectedClient(daemon.url, {
        auth: {
          token: joinToken(secret, { room, exp, relay: ['answer', 'candidate'], meta: { name: 'V' } }),
        },
      });
      try {
        native.send({ type: 'join', room, token: joinToken(secret, { room, exp }) });
        await native.next('joined');
        const joined = await ask(viewer, 'join', room, { name: 'not me' });
        assert.equal(joined.ok, true);
        assert.deepEqual((await native.next('peer-joined')).meta, { name: 'V' });
        assert.deepEqual(await ask(viewer, 'update-meta', { name: 'x' }), {
          ok: false,
          code: 'forbidden',
        });
        // An offer (data.type) and an application message are forbidden; an answer goes.
        assert.deepEqual(await ask(viewer, 'message', room, { type: 'offer', sdp: 'x' }), {
          ok: false,
          code: 'forbidden',
        });
        assert.deepEqual(await ask(viewer, 'message', room, 'hello'), { ok: false, code: 'forbidden' });
        assert.deepEqual(await ask(viewer, 'message', room, { type: 'answer', sdp: 'y' }), { ok: true });
        // The refused ones reached nobody: the answer is the next frame the native peer gets.
        const first = JSON.parse(await native.raw.text());
        assert.equal(first.type, 'answer');
        assert.equal(first.sdp, 'y');
      } finally {
        viewer.close();
        native.close();
      }
    });
  });
});
