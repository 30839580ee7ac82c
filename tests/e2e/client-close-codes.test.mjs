// How parley.js reacts to the ways a server may end a connection, against a scripted
// WebSocket server: 1012 (a cluster node restarting) and 1001 are followed by a
// reconnect whose first message is `resume`; a protocol-abuse close (1008) ends the
// client; a refused resume becomes a fresh session.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { startScriptedServer } from './lib/scripted-ws-server.mjs';

// Each step takes a few seconds at most; the bound turns a hang into a failure.
const STEP_TIMEOUT_MS = 30_000;

let server;
let browser;
let page;

before(async () => {
  server = await startScriptedServer();
  browser = await launchBrowser();
  page = await browser.open(`${server.url}/`, { name: 'client' });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Connects a new client in the page; the test plays the server's part. */
async function connectClient(id) {
  const connected = page.evaluate(async (url) => {
    const { ParleyClient } = await import('/parley.js');
    const client = new ParleyClient(url);
    window.client = client;
    window.events = [];
    for (const type of ['reconnecting', 'resumed', 'resume-failed', 'welcome', 'close']) {
      client.on(type, (event) => window.events.push({ type, event }));
    }
    await client.connect();
  }, server.wsUrl);
  const connection = await server.nextConnection();
  connection.send({ type: 'welcome', id, resume: `token-of-${id}`, version: 1 });
  await connected;
  return connection;
}

function waitForEvent(type) {
  return page.evaluate(
    (t) =>
      new Promise((resolve) => {
        const seen = window.events.find((e) => e.type === t);
        if (seen) return resolve(seen.event);
        window.client.on(t, resolve);
      }),
    type,
  );
}

for (const code of [1012, 1001, 1006]) {
  test(
    `close ${code}: reconnect, resume first, same session`,
    { timeout: STEP_TIMEOUT_MS },
    async () => {
      const first = await connectClient('peer-a');
      if (code === 1006)
        first.socket.destroy(); // no close frame at all
      else first.close(code);

      const reconnecting = await waitForEvent('reconnecting');
      assert.equal(reconnecting.code, code);
      const second = await server.nextConnection();
      second.send({ type: 'welcome', id: 'peer-x', resume: 'token-of-x', version: 1 });
      const resume = await second.nthMessage(0);
      assert.equal(resume.type, 'resume');
      assert.equal(resume.token, 'token-of-peer-a');
      second.send({
        type: 'resumed',
        id: 'peer-a',
        room: 'r',
        peers: ['peer-b'],
        resume: 'next',
        rid: resume.rid,
      });

      const resumed = await waitForEvent('resumed');
      assert.equal(resumed.id, 'peer-a');
      const client = await page.evaluate(() => ({
        id: client.id,
        room: client.room,
        peers: client.peers,
        state: client.state,
      }));
      assert.deepEqual(client, { id: 'peer-a', room: 'r', peers: ['peer-b'], state: 'open' });
      await page.evaluate(() => window.client.close());
    },
  );
}

test('close 1008: no reconnect', { timeout: STEP_TIMEOUT_MS }, async () => {
  const connection = await connectClient('peer-c');
  connection.close(1008);
  const closed = await waitForEvent('close');
  assert.deepEqual(closed, { code: 1008, reason: '', byClient: false });
  const state = await page.evaluate(() => ({
    state: window.client.state,
    reconnects: window.events.filter((e) => e.type === 'reconnecting').length,
  }));
  assert.deepEqual(state, { state: 'closed', reconnects: 0 });
});

test(
  'a refused resume becomes a fresh session: welcome, then resume-failed',
  { timeout: STEP_TIMEOUT_MS },
  async () => {
    const first = await connectClient('peer-d');
    first.close(1012);
    await waitForEvent('reconnecting');
    await page.evaluate(() => window.client.send('message', { data: 'sent while away' }));
    const second = await server.nextConnection();
    second.send({ type: 'welcome', id: 'peer-e', resume: 'token-of-e', version: 1 });
    const resume = await second.nthMessage(0);
    second.send({
      type: 'error',
      code: 'resume-failed',
      message: 'unknown token',
      rid: resume.rid,
    });

    const failed = await waitForEvent('resume-failed');
    assert.deepEqual(failed, {
      id: 'peer-e',
      previousId: 'peer-d',
      room: null,
      code: 'resume-failed',
    });
    // The new session does not send what was meant for the old one.
    await page.evaluate(() => {
      window.client.ping().catch(() => {}); // never answered here; only its sending counts
    });
    const next = await second.nthMessage(1);
    assert.equal(next.type, 'ping');
    const client = await page.evaluate(() => ({ id: client.id, state: client.state }));
    assert.deepEqual(client, { id: 'peer-e', state: 'open' });
    await page.evaluate(() => window.client.close());
  },
);

test('close() sends a close frame and never reconnects', { timeout: STEP_TIMEOUT_MS }, async () => {
  const connection = await connectClient('peer-f');
  await page.evaluate(() => window.client.close());
  await connection.whenClosed();
  const state = await page.evaluate(() => ({
    state: window.client.state,
    reconnects: window.events.filter((e) => e.type === 'reconnecting').length,
  }));
  assert.deepEqual(state, { state: 'closed', reconnects: 0 });
});

test(
  'a re-watch answered unavailable is asked again until the watch is back',
  { timeout: STEP_TIMEOUT_MS },
  async () => {
    const first = await connectClient('peer-g');
    const watched = page.evaluate(() => window.client.watch('lobby'));
    const watch = await first.nthMessage(0);
    assert.deepEqual({ type: watch.type, room: watch.room }, { type: 'watch', room: 'lobby' });
    first.send({ type: 'watching', room: 'lobby', peers: [], meta: {}, rid: watch.rid });
    await watched;
    await page.evaluate(() => {
      window.errors = [];
      window.client.on('error', (e) => window.errors.push(e));
      window.rewatched = new Promise((resolve) => window.client.on('watching', resolve));
    });

    first.close(1012);
    const second = await server.nextConnection();
    second.send({ type: 'welcome', id: 'peer-x', resume: 'token-of-x', version: 1 });
    const resume = await second.nthMessage(0);
    second.send({ type: 'resumed', id: 'peer-g', room: null, peers: [], resume: 'next', rid: resume.rid });

    // A cluster node cut off from Redis cannot answer a watch for now.
    const again = await second.nthMessage(1);
    assert.deepEqual({ type: again.type, room: again.room }, { type: 'watch', room: 'lobby' });
    second.send({ type: 'error', code: 'unavailable', message: 'no directory', rid: again.rid });
    const retry = await second.nthMessage(2);
    assert.deepEqual({ type: retry.type, room: retry.room }, { type: 'watch', room: 'lobby' });
    second.send({ type: 'watching', room: 'lobby', peers: ['peer-h'], meta: { 'peer-h': {} }, rid: retry.rid });

    const rewatched = await page.evaluate(() => window.rewatched);
    assert.deepEqual(rewatched.peers, ['peer-h']);
    const state = await page.evaluate(() => ({
      watched: [...window.client.watched.keys()],
      errors: window.errors.map((e) => e.code),
    }));
    assert.deepEqual(state, { watched: ['lobby'], errors: [] });
    await page.evaluate(() => window.client.close());
  },
);
