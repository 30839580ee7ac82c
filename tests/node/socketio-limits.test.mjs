// The native protocol's limits hold for socket.io clients too: message size
// (Engine.IO maxPayload), message rate, allowed origins, connection counts, and
// auth through the CONNECT payload.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  connectedClient,
  endpoint,
  pollingHandshake,
  sioClient,
  startDaemon,
  uniqueRoom,
} from './socketio-helpers.mjs';

const TRANSPORTS = [
  ['websocket', { transports: ['websocket'] }],
  ['long-polling', { transports: ['polling'] }],
];

async function connections(daemon) {
  const metrics = await (await fetch(`${daemon.adminUrl}/metrics`)).text();
  return Number(/^parley_connections (\d+)$/m.exec(metrics)?.[1]);
}

/** Polls `probe` until it holds (bounded: a hang becomes a failure). */
async function waitUntil(probe, what) {
  const deadline = Date.now() + 15_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `body` with a daemon started on `config`, and checks that it exits 0. */
async function withDaemon(config, body) {
  const daemon = await startDaemon({ config });
  try {
    await body(daemon);
  } finally {
    assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  }
}

function base64url(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** An HS256 join token (protocol-v1 "Auth"). */
function joinToken(secret, claims) {
  const unsigned = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

describe('message size', () => {
  test('maxPayload is limits.max_message_bytes; a larger message closes that client', async () => {
    await withDaemon({ limits: { max_message_bytes: 2048 } }, async (daemon) => {
      const open = await pollingHandshake(daemon.url);
      assert.equal(open.maxPayload, 2048);
      for (const [name, options] of TRANSPORTS) {
        const room = uniqueRoom('size');
        const mate = await connectedClient(daemon.url, { transports: ['websocket'] });
        const big = await connectedClient(daemon.url, options);
        try {
          mate.socket.emit('join', room);
          await mate.next('joined');
          big.socket.emit('join', room);
          await big.next('joined');
          big.socket.emit('message', room, 'x'.repeat(1000));
          assert.deepEqual(await mate.next('message'), [room, 'x'.repeat(1000)], name);
          const bigId = big.socket.id;
          big.socket.emit('message', room, 'x'.repeat(4000));
          const [reason] = await big.next('disconnect');
          assert.match(reason, /^transport (close|error)$/, name);
          assert.deepEqual(await mate.next('bye'), [room, bigId], name);
          assert.equal(mate.received('message'), false, `${name}: the big message was relayed`);
        } finally {
          mate.close();
          big.close();
        }
      }
    });
  });
});

// The flood below once aborted the Debug daemon inside Beast 1.81's async_read
// (read_size_hint_pmd asserting rd_remain > 0) when the 1008 close drained a frame
// between two reads of one message; the transport now reads piece by piece and
// never asks for a size while its close is under way (src/net/ws_transport.cpp).
describe('message rate', () => {
  test('packets beyond the bucket get rate-limited; sustained abuse disconnects', async () => {
    await withDaemon({ limits: { messages_per_second: 0.5, message_burst: 10 } }, async (daemon) => {
      for (const [name, options] of TRANSPORTS) {
        const client = await connectedClient(daemon.url, options); // CONNECT: one token
        try {
          // Nine more are accepted, the rest dropped with parley-error.
          for (let i = 0; i < 12; i += 1) client.socket.emit('no-such-event', i);
          const [error] = await client.next('parley-error');
          assert.equal(error.code, 'rate-limited', name);
          assert.ok(client.socket.connected, name);
          // More drops than the burst within the abuse window close the connection.
          for (let i = 0; i < 30; i += 1) client.socket.emit('no-such-event', i);
          const [reason] = await client.next('disconnect');
          assert.match(reason, /^transport (close|error)$/, name);
        } finally {
          client.close();
        }
      }
      const metrics = await (await fetch(`${daemon.adminUrl}/metrics`)).text();
      assert.match(metrics, /parley_errors_total\{code="rate-limited"\} [1-9]/);
    });
  });
});

describe('origins', () => {
  test('a handshake from an origin not allowed is refused on both transports', async () => {
    await withDaemon({ allowed_origins: ['http://good.example'] }, async (daemon) => {
      for (const [name, options] of TRANSPORTS) {
        const bad = sioClient(daemon.url, { ...options, extraHeaders: { Origin: 'http://evil.example' } });
        await bad.next('connect_error');
        assert.equal(bad.socket.connected, false, name);
        bad.close();
        const good = await connectedClient(daemon.url, {
          ...options,
          extraHeaders: { Origin: 'http://good.example' },
        });
        assert.ok(good.socket.connected, name);
        good.close();
      }
      const refused = await fetch(endpoint(daemon.url), { headers: { Origin: 'http://evil.example' } });
      assert.equal(refused.status, 403);
      assert.equal(refused.headers.get('access-control-allow-origin'), null);
    });
  });
});

describe('connection counts', () => {
  test('limits.max_connections_per_ip counts socket.io sessions of either transport', async () => {
    await withDaemon({ limits: { max_connections_per_ip: 1 } }, async (daemon) => {
      for (const [name, options] of TRANSPORTS) {
        const first = await connectedClient(daemon.url, options);
        try {
          for (const [otherName, otherOptions] of TRANSPORTS) {
            const second = sioClient(daemon.url, otherOptions);
            await second.next('connect_error');
            assert.equal(second.socket.connected, false, `${name} then ${otherName}`);
            second.close();
          }
        } finally {
          first.close();
        }
        // The seat is given back once the server has seen the close.
        await waitUntil(async () => (await connections(daemon)) === 0, 'the seat to be released');
      }
    });
  });
});

describe('auth', () => {
  test('the token comes in the CONNECT payload and is checked at each join', async () => {
    const secret = 'socket.io test secret';
    await withDaemon({ auth: { jwt_secret: secret } }, async (daemon) => {
      const room = uniqueRoom('auth');
      const exp = Math.floor(Date.now() / 1000) + 600;
      const holder = await connectedClient(daemon.url, { auth: { token: joinToken(secret, { room, exp }) } });
      const anonymous = await connectedClient(daemon.url);
      const forger = await connectedClient(daemon.url, {
        auth: { token: joinToken('another secret', { room, exp }) },
      });
      const wildcard = await connectedClient(daemon.url, {
        transports: ['polling'],
        auth: { token: joinToken(secret, { room: '*', exp }) },
      });
      try {
        anonymous.socket.emit('join', room);
        assert.equal((await anonymous.next('parley-error'))[0].code, 'unauthorized');
        forger.socket.emit('join', room);
        assert.equal((await forger.next('parley-error'))[0].code, 'unauthorized');
        holder.socket.emit('join', uniqueRoom('not-this-one'));
        assert.equal((await holder.next('parley-error'))[0].code, 'unauthorized');

        holder.socket.emit('join', room);
        assert.deepEqual(await holder.next('joined'), [room, holder.socket.id]);
        wildcard.socket.emit('join', room);
        assert.deepEqual(await wildcard.next('joined'), [room, wildcard.socket.id]);
        assert.deepEqual(await holder.next('otherjoin'), [room, wildcard.socket.id, {}]);

        const badType = sioClient(daemon.url, { auth: { token: 42 } });
        const [message] = await badType.next('connect_error');
        assert.match(message, /token/);
        badType.close();
      } finally {
        for (const client of [holder, anonymous, forger, wildcard]) client.close();
      }
    });
  });
});
