// web/parley.js against the real daemon, in Chromium: requests matched by rid, events,
// relayed messages, close() without resume, and a dropped connection that is resumed
// (same id, messages sent meanwhile delivered) or, after the grace, started afresh.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCENARIO_TIMEOUT_MS, setUp } from './lib/harness.mjs';
import { uniqueRoom } from './lib/demo-page.mjs';
import { startTcpProxy } from './lib/tcp-proxy.mjs';

// Runs in the page: loads parley.js and keeps every client's events for the test.
function installClientKit() {
  window.kit = {
    clients: {},
    events: {},
    async open(name, url) {
      const { ParleyClient } = await import('/parley.js');
      const client = new ParleyClient(url ?? `ws://${location.host}/ws`);
      const events = [];
      for (const type of [
        'welcome',
        'joined',
        'peer-joined',
        'peer-left',
        'left',
        'full',
        'message',
        'error',
        'reconnecting',
        'resumed',
        'resume-failed',
        'close',
      ]) {
        client.on(type, (event) => events.push({ type, event }));
      }
      this.clients[name] = client;
      this.events[name] = events;
      const welcome = await client.connect();
      return { welcome, id: client.id };
    },
    /** Resolves with the next (or an already seen) event of `type` matching `where`. */
    waitFor(name, type, where = {}) {
      const matches = (e) =>
        e.type === type && Object.entries(where).every(([k, v]) => e.event[k] === v);
      return new Promise((resolve) => {
        const seen = this.events[name].find(matches);
        if (seen) return resolve(seen.event);
        const off = this.clients[name].on(type, (event) => {
          if (!matches({ type, event })) return;
          off();
          resolve(event);
        });
      });
    },
    /** The error of a request, as plain data. */
    async failure(promise) {
      try {
        await promise;
        return null;
      } catch (err) {
        return { name: err.name, code: err.code };
      }
    },
  };
}

test('parley.js', { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
  const env = await setUp(t, { config: { resume: { grace: 2 } } });
  const proxy = await startTcpProxy(env.daemon.host, env.daemon.port);
  env.defer(() => proxy.close());
  const page = await env.open(`${env.daemon.url}/`, { name: 'client' });
  await page.evaluate(installClientKit);
  const proxied = `ws://127.0.0.1:${proxy.port}/ws`;

  await env.run(async () => {
    const room = uniqueRoom('client');

    await t.test('connect() resolves with the welcome', async () => {
      const { welcome, id } = await page.evaluate(() => kit.open('a'));
      assert.equal(welcome.type, 'welcome');
      assert.equal(welcome.version, 1);
      assert.equal(typeof welcome.resume, 'string');
      assert.equal(id, welcome.id);
      assert.ok(id.length > 0 && id.length <= 32);
    });

    await t.test('join() resolves with joined, matched by its rid', async () => {
      const joined = await page.evaluate((r) => kit.clients.a.join(r), room);
      assert.equal(joined.type, 'joined');
      assert.equal(joined.room, room);
      assert.deepEqual(joined.peers, []);
      assert.ok(Array.isArray(joined.iceServers));
      assert.ok(joined.rid !== undefined, 'the answer carries the request id');
    });

    await t.test('a second peer: peer-joined, and relayed messages carry from', async () => {
      const result = await page.evaluate(async (r) => {
        await kit.open('b');
        const joined = await kit.clients.b.join(r);
        const peerJoined = await kit.waitFor('a', 'peer-joined');
        kit.clients.b.send('message', { data: { hello: 'a' } }, { to: kit.clients.a.id });
        kit.clients.a.send('message', { data: [1, 2, 3] });
        const atA = await kit.waitFor('a', 'message');
        const atB = await kit.waitFor('b', 'message');
        return {
          peers: joined.peers,
          peerJoined,
          atA,
          atB,
          a: kit.clients.a.id,
          b: kit.clients.b.id,
        };
      }, room);
      assert.deepEqual(result.peers, [result.a]);
      assert.equal(result.peerJoined.id, result.b);
      assert.deepEqual(result.atA, {
        type: 'message',
        data: { hello: 'a' },
        to: result.a,
        from: result.b,
      });
      assert.deepEqual(result.atB, { type: 'message', data: [1, 2, 3], from: result.a });
    });

    await t.test('join() rejects with full, and with the error code of its rid', async () => {
      const result = await page.evaluate(async (r) => {
        await kit.open('c');
        return {
          full: await kit.failure(kit.clients.c.join(r)),
          badRoom: await kit.failure(kit.clients.c.join('')),
          errorEvents: kit.events.c.filter((e) => e.type === 'error').length,
        };
      }, room);
      assert.deepEqual(result.full, { name: 'ParleyError', code: 'full' });
      assert.deepEqual(result.badRoom, { name: 'ParleyError', code: 'bad-room' });
      assert.equal(
        result.errorEvents,
        0,
        'an error that answered a request is not also an error event',
      );
    });

    await t.test('an error with no request behind it is an error event', async () => {
      const error = await page.evaluate(() => {
        kit.clients.a.send('message', { data: 1 }, { to: 'no-such-peer' });
        return kit.waitFor('a', 'error');
      });
      assert.equal(error.code, 'unknown-peer');
    });

    await t.test('close() ends the session at once: the room hears disconnect', async () => {
      const result = await page.evaluate(async () => {
        const b = kit.clients.b.id;
        kit.clients.b.close();
        const left = await kit.waitFor('a', 'peer-left', { id: b });
        return {
          left,
          state: kit.clients.b.state,
          reconnects: kit.events.b.filter((e) => e.type === 'reconnecting').length,
        };
      });
      assert.equal(result.left.reason, 'disconnect');
      assert.equal(result.state, 'closed');
      assert.equal(result.reconnects, 0);
    });

    await t.test('leave() resolves with left; leaving twice rejects not-in-room', async () => {
      const result = await page.evaluate(async () => ({
        left: await kit.clients.a.leave(),
        again: await kit.failure(kit.clients.a.leave()),
        room: kit.clients.a.room,
      }));
      assert.equal(result.left.type, 'left');
      assert.equal(result.left.reason, 'leave');
      assert.deepEqual(result.again, { name: 'ParleyError', code: 'not-in-room' });
      assert.equal(result.room, null);
    });

    await t.test(
      'a dropped connection is resumed: same id, queued messages delivered',
      async () => {
        const resumeRoom = uniqueRoom('client-resume');
        const before = await page.evaluate(
          async ({ r, url }) => {
            await kit.open('d', url);
            await kit.open('e');
            await kit.clients.d.join(r);
            await kit.clients.e.join(r);
            return { d: kit.clients.d.id, e: kit.clients.e.id };
          },
          { r: resumeRoom, url: proxied },
        );
        proxy.hold();
        proxy.dropAll();
        await page.evaluate(() => kit.waitFor('d', 'reconnecting'));
        // Sent while the connection is down: queued by the client, sent after the resume.
        // Sent to it meanwhile: kept by the server, delivered after the resume.
        await page.evaluate(() => {
          kit.clients.d.send('message', { data: 'while away' });
          kit.clients.e.send('message', { data: 'for d' });
        });
        proxy.release();
        const after = await page.evaluate(async () => ({
          resumed: await kit.waitFor('d', 'resumed'),
          atE: await kit.waitFor('e', 'message', { data: 'while away' }),
          atD: await kit.waitFor('d', 'message', { data: 'for d' }),
          peerLeftAtE: kit.events.e.filter((e) => e.type === 'peer-left').length,
          id: kit.clients.d.id,
        }));
        assert.equal(after.id, before.d);
        assert.equal(after.resumed.id, before.d);
        assert.equal(after.resumed.room, resumeRoom);
        assert.deepEqual(after.resumed.peers, [before.e]);
        assert.equal(after.atE.from, before.d);
        assert.equal(after.atD.from, before.e);
        assert.equal(after.peerLeftAtE, 0, 'the room was told nothing');
      },
    );

    await t.test('a resume after the grace starts a fresh session: resume-failed', async () => {
      const before = await page.evaluate(() => ({ d: kit.clients.d.id }));
      proxy.hold();
      proxy.dropAll();
      // The grace (2 s here) is over once the room hears `timeout`; only then may the
      // client's reconnect reach the server.
      const left = await page.evaluate((d) => kit.waitFor('e', 'peer-left', { id: d }), before.d);
      assert.equal(left.reason, 'timeout');
      proxy.release();
      const failed = await page.evaluate(() => kit.waitFor('d', 'resume-failed'));
      assert.equal(failed.previousId, before.d);
      assert.notEqual(failed.id, before.d);
      const state = await page.evaluate(() => ({
        id: kit.clients.d.id,
        room: kit.clients.d.room,
        state: kit.clients.d.state,
      }));
      assert.deepEqual(state, { id: failed.id, room: null, state: 'open' });
    });
  });
});
