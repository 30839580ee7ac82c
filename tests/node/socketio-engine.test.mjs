// Engine.IO v4 at /socket.io/ by hand, for what socket.io-client never does on
// its own: old protocol versions, unknown transports and sessions, the upgrade
// step by step, packet batching, malformed and binary packets, a client that
// stops answering pings, CORS, the drain, and files under /socket.io/.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  connectedClient,
  endpoint,
  packets,
  pollingHandshake,
  rawWebSocket,
  startDaemon,
  uniqueRoom,
} from './socketio-helpers.mjs';

let daemon;

before(async () => {
  daemon = await startDaemon();
});

after(async () => {
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
});

const wsUrl = (base, query) => `${base.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket${query ?? ''}`;

async function get(url, init) {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

async function post(base, sid, body) {
  return get(endpoint(base, `&sid=${sid}`), {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
    body,
  });
}

/** A polling session by hand that has sent CONNECT; returns its sid and peer id. */
async function pollingPeer(base) {
  const open = await pollingHandshake(base);
  assert.equal((await post(base, open.sid, '40')).body, 'ok');
  const connect = await get(endpoint(base, `&sid=${open.sid}`));
  assert.match(connect.body, /^40\{"sid":"[^"]+"\}$/);
  return { sid: open.sid, id: JSON.parse(connect.body.slice(2)).sid };
}

/** A WebSocket session by hand (transport=websocket) that has sent CONNECT. */
async function websocketPeer(base) {
  const raw = rawWebSocket(wsUrl(base));
  await raw.opened();
  const open = await raw.text();
  assert.equal(open[0], '0');
  assert.deepEqual(JSON.parse(open.slice(1)).upgrades, []);
  raw.send('40');
  const connect = await raw.text();
  assert.match(connect, /^40\{"sid":"[^"]+"\}$/);
  return { raw, id: JSON.parse(connect.slice(2)).sid };
}

describe('what the endpoint refuses', () => {
  test('EIO=3 (socket.io v2 clients) and a missing EIO get engine.io\'s error', async () => {
    for (const query of ['EIO=3&transport=polling', 'transport=polling', 'EIO=5&transport=polling', 'EIO=3&transport=websocket']) {
      const answer = await get(`${daemon.url}/socket.io/?${query}`);
      assert.equal(answer.status, 400, query);
      assert.deepEqual(JSON.parse(answer.body), { code: 5, message: 'Unsupported protocol version' }, query);
    }
    const raw = rawWebSocket(wsUrl(daemon.url).replace('EIO=4', 'EIO=3'));
    await assert.rejects(raw.opened(), /HTTP 400/);
  });

  test('unknown transports and sessions, and a POST without a session', async () => {
    const flash = await get(`${daemon.url}/socket.io/?EIO=4&transport=flashsocket`);
    assert.equal(flash.status, 400);
    assert.equal(JSON.parse(flash.body).code, 0);

    const unknown = await get(endpoint(daemon.url, '&sid=nosuchsession'));
    assert.equal(unknown.status, 400);
    assert.deepEqual(JSON.parse(unknown.body), { code: 1, message: 'Session ID unknown' });

    const handshakePost = await get(endpoint(daemon.url), { method: 'POST', body: '40' });
    assert.equal(handshakePost.status, 400);
    assert.equal(JSON.parse(handshakePost.body).code, 2);

    const upgradeUnknown = rawWebSocket(wsUrl(daemon.url, '&sid=nosuchsession'));
    await assert.rejects(upgradeUnknown.opened(), /HTTP 400/);
  });
});

describe('long-polling by hand', () => {
  test('the open packet says what the configuration says', async () => {
    const open = await pollingHandshake(daemon.url);
    assert.equal(typeof open.sid, 'string');
    assert.deepEqual(open.upgrades, ['websocket']);
    assert.equal(open.pingInterval, 20_000);
    assert.equal(open.pingTimeout, 20_000);
    assert.equal(open.maxPayload, 65_536);
    assert.equal((await post(daemon.url, open.sid, '1')).body, 'ok'); // close
  });

  test('packets sent together come back batched in one answer', async () => {
    const peer = await pollingPeer(daemon.url);
    // Three requests in one POST; their three answers are queued before the
    // next GET, which carries them all, separated by \x1e.
    const batch = ['42["join",""]', '42["join",7]', '42["leave"]'].join('\x1e');
    assert.equal((await post(daemon.url, peer.sid, batch)).body, 'ok');
    const answer = await get(endpoint(daemon.url, `&sid=${peer.sid}`));
    const codes = packets(answer.body).map((p) => JSON.parse(p.slice(2))[1].code);
    assert.deepEqual(codes, ['bad-room', 'bad-message', 'not-in-room']);
    assert.match(answer.headers.get('content-type'), /^text\/plain/);
    await post(daemon.url, peer.sid, '1');
  });

  test('a held GET is answered as soon as an event arrives', async () => {
    const room = uniqueRoom('held');
    const peer = await pollingPeer(daemon.url);
    await post(daemon.url, peer.sid, `42${JSON.stringify(['join', room])}`);
    assert.equal((await get(endpoint(daemon.url, `&sid=${peer.sid}`))).body,
      `42${JSON.stringify(['joined', room, peer.id])}`);
    const held = get(endpoint(daemon.url, `&sid=${peer.sid}`));
    const other = await connectedClient(daemon.url, { transports: ['websocket'] });
    try {
      other.socket.emit('join', room);
      await other.next('joined');
      assert.equal((await held).body, `42${JSON.stringify(['otherjoin', room, other.socket.id, {}])}`);
    } finally {
      other.close();
      await post(daemon.url, peer.sid, '1');
    }
  });

  test('the upgrade: 2probe, 3probe, the paused GET gets a noop, then 5', async () => {
    const open = await pollingHandshake(daemon.url);
    const held = get(endpoint(daemon.url, `&sid=${open.sid}`));
    const ws = rawWebSocket(wsUrl(daemon.url, `&sid=${open.sid}`));
    await ws.opened();
    ws.send('2probe');
    assert.equal(await ws.text(), '3probe');
    assert.equal((await held).body, '6');
    ws.send('5');
    ws.send('40');
    assert.match(await ws.text(), /^40\{"sid":/);
    // The polling transport is over for this session.
    const late = await get(endpoint(daemon.url, `&sid=${open.sid}`));
    assert.equal(late.status, 400);
    // A second upgrade of the same session is refused.
    const again = rawWebSocket(wsUrl(daemon.url, `&sid=${open.sid}`));
    await assert.rejects(again.opened(), /HTTP 400/);
    ws.close();
  });

  test('a failed probe leaves the session on long-polling', async () => {
    const peer = await pollingPeer(daemon.url);
    const ws = rawWebSocket(wsUrl(daemon.url, `&sid=${peer.sid}`));
    await ws.opened();
    ws.send('4garbage');
    assert.equal(await ws.closed(), 1002);
    await post(daemon.url, peer.sid, '42["join",""]');
    const answer = await get(endpoint(daemon.url, `&sid=${peer.sid}`));
    assert.equal(JSON.parse(answer.body.slice(2))[1].code, 'bad-room');
    await post(daemon.url, peer.sid, '1');
  });
});

describe('malformed packets close only that client', () => {
  test('over WebSocket: bad JSON closes with 1002, binary with 1003; the room goes on', async () => {
    const room = uniqueRoom('malformed');
    const mate = await connectedClient(daemon.url);
    try {
      mate.socket.emit('join', room);
      await mate.next('joined');

      const bad = await websocketPeer(daemon.url);
      bad.raw.send(`42${JSON.stringify(['join', room])}`);
      assert.match(await bad.raw.text(), /^42\["joined"/);
      assert.deepEqual(await mate.next('otherjoin'), [room, bad.id, {}]);
      bad.raw.send('42["message",');
      assert.equal(await bad.raw.closed(), 1002);
      assert.deepEqual(await mate.next('bye'), [room, bad.id]);

      const binary = await websocketPeer(daemon.url);
      binary.raw.send(`42${JSON.stringify(['join', room])}`);
      await binary.raw.text();
      await mate.next('otherjoin');
      binary.raw.ws.send(Buffer.from([1, 2, 3]));
      assert.equal(await binary.raw.closed(), 1003);
      assert.deepEqual(await mate.next('bye'), [room, binary.id]);

      const early = rawWebSocket(wsUrl(daemon.url));
      await early.opened();
      await early.text();
      early.send('42["join","r"]'); // an event before CONNECT
      assert.equal(await early.closed(), 1002);

      const binaryEvent = await websocketPeer(daemon.url);
      binaryEvent.raw.send('451-["message","r",{"_placeholder":true,"num":0}]');
      assert.equal(await binaryEvent.raw.closed(), 1003);

      // The well-behaved client saw none of it.
      const answer = await mate.socket.timeout(5000).emitWithAck('message', room, 'still here');
      assert.deepEqual(answer, { ok: true });
      assert.ok(mate.socket.connected);
    } finally {
      mate.close();
    }
  });

  test('over long-polling: a bad payload is a 400 and the session is gone', async () => {
    const peer = await pollingPeer(daemon.url);
    const bad = await post(daemon.url, peer.sid, '42["join"\x1e9');
    assert.equal(bad.status, 400);
    const after = await get(endpoint(daemon.url, `&sid=${peer.sid}`));
    assert.equal(after.status, 400);
    assert.equal(JSON.parse(after.body).code, 1);

    const base64 = await pollingPeer(daemon.url);
    assert.equal((await post(daemon.url, base64.sid, 'bAQID')).status, 400);
  });
});

describe('heartbeat', () => {
  test('a client that stops answering pings is dropped, over both transports', async () => {
    // Short, but not so short that a loaded machine delays a healthy pong past it.
    const local = await startDaemon({ config: { heartbeat: { ping_interval: 1, ping_timeout: 1 } } });
    try {
      const room = uniqueRoom('silent');
      const mate = await connectedClient(local.url, { transports: ['websocket'] });
      mate.socket.emit('join', room);
      await mate.next('joined');

      const silent = await websocketPeer(local.url);
      silent.raw.send(`42${JSON.stringify(['join', room])}`);
      await silent.raw.text();
      assert.equal(await silent.raw.text(), '2'); // the server's ping, left unanswered
      assert.equal(await silent.raw.closed(), 1006); // cut without a close frame
      assert.deepEqual(await mate.next('bye'), [room, silent.id]);

      const quiet = await pollingPeer(local.url);
      assert.equal((await get(endpoint(local.url, `&sid=${quiet.sid}`))).body, '2');
      // No pong: the next GET learns that the session closed.
      const next = await get(endpoint(local.url, `&sid=${quiet.sid}`));
      assert.ok(next.body === '1' || next.status === 400, `${next.status} ${next.body}`);
      mate.close();
    } finally {
      assert.deepEqual(await local.stop(), { code: 0, signal: null });
    }
  });
});

describe('cross-origin pages', () => {
  test('polling answers carry CORS headers for an allowed origin; preflights pass', async () => {
    const origin = 'http://page.example:8000';
    const answer = await get(endpoint(daemon.url), { headers: { Origin: origin } });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), origin);
    assert.equal(answer.headers.get('access-control-allow-credentials'), 'true');

    const preflight = await get(endpoint(daemon.url), {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
    assert.match(preflight.headers.get('access-control-allow-methods'), /POST/);
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'content-type');
  });
});

describe('files under /socket.io/', () => {
  test('come from <static_dir>/socket.io/, so /socket.io/socket.io.js can be served', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'parley-sio-static-'));
    await mkdir(path.join(dir, 'socket.io'));
    await writeFile(path.join(dir, 'socket.io', 'socket.io.js'), 'window.io = function () {};\n');
    const local = await startDaemon({ config: { static_dir: dir } });
    try {
      const script = await get(`${local.url}/socket.io/socket.io.js`);
      assert.equal(script.status, 200);
      assert.match(script.headers.get('content-type'), /javascript/);
      assert.equal(script.body, 'window.io = function () {};\n');
      assert.equal((await get(`${local.url}/socket.io/nothing.js`)).status, 404);
    } finally {
      assert.deepEqual(await local.stop(), { code: 0, signal: null });
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('drain', () => {
  test('SIGTERM disconnects socket.io clients on both transports and exits 0', async () => {
    const local = await startDaemon();
    const polling = await connectedClient(local.url, { transports: ['polling'] });
    const websocket = await connectedClient(local.url, { transports: ['websocket'] });
    const room = uniqueRoom('drain');
    polling.socket.emit('join', room);
    await polling.next('joined');
    websocket.socket.emit('join', room);
    await websocket.next('joined');
    const exit = local.stop();
    const [pollingReason] = await polling.next('disconnect');
    const [websocketReason] = await websocket.next('disconnect');
    assert.deepEqual(await exit, { code: 0, signal: null });
    assert.match(pollingReason, /^transport (close|error)$/);
    assert.match(websocketReason, /^transport (close|error)$/);
  });
});
