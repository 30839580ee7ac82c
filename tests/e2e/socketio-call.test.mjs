// A classic socket.io 1:1 call page (tests/e2e/fixtures/classic: written in the
// style of the socket.io WebRTC tutorials, its client library loaded from the npm
// package as /socket.io/socket.io.js) makes a real WebRTC call through parley in
// headless Chromium. The page is served from its own origin, as it would be by the
// application's server, and only the signaling server's URL points at parley; the
// client takes its default road: long-polling (cross-origin, so CORS), then the
// upgrade to WebSocket.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setUp } from './lib/harness.mjs';
import { uniqueRoom } from '../node/socketio-helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = path.join(HERE, 'fixtures', 'classic');
const CLIENT_LIBRARY = path.join(HERE, '..', 'node_modules', 'socket.io-client', 'dist', 'socket.io.js');

/** Bounds for a loaded 2-core machine: they turn a hang into a failure, nothing more. */
const WAIT_MS = 60_000;
const POLL_MS = 100;

/** The page's own web server: the fixture, and the client library where socket.io serves it. */
async function servePage() {
  const files = {
    '/': ['index.html', 'text/html; charset=utf-8'],
    '/index.html': ['index.html', 'text/html; charset=utf-8'],
    '/main.js': ['main.js', 'text/javascript; charset=utf-8'],
  };
  const server = http.createServer(async (req, res) => {
    const pathname = new URL(req.url, 'http://page').pathname;
    try {
      let body;
      let type;
      if (pathname === '/socket.io/socket.io.js') {
        body = await readFile(CLIENT_LIBRARY);
        type = 'text/javascript; charset=utf-8';
      } else if (files[pathname]) {
        body = await readFile(path.join(FIXTURE, files[pathname][0]));
        type = files[pathname][1];
      } else {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function waitForState(page, expected) {
  try {
    await page.waitForFunction(
      (want) => document.querySelector('#state')?.textContent === want,
      expected,
      { timeout: WAIT_MS, polling: POLL_MS },
    );
  } catch (err) {
    const now = await page.evaluate(() => document.querySelector('#state')?.textContent);
    throw new Error(`the page's state never became '${expected}' (it is '${now}')`, { cause: err });
  }
}

/** Media flows: the peer connection is up and the remote video plays frames. */
async function waitForCall(page) {
  await page.waitForFunction(() => window.pc && window.pc.connectionState === 'connected', null, {
    timeout: WAIT_MS,
    polling: POLL_MS,
  });
  await page.waitForFunction(
    () => {
      const video = document.querySelector('#remotevideo');
      return video.readyState >= 2 && video.videoWidth > 0 && video.currentTime > 0;
    },
    null,
    { timeout: WAIT_MS, polling: POLL_MS },
  );
}

test('a classic socket.io 1:1 call page makes a call through parley', async (t) => {
  const env = await setUp(t);
  const { daemon, browser } = env;
  const pages = await servePage();
  env.defer(() => pages.close());

  await env.run(async () => {
    const room = uniqueRoom('classic-call');
    const url = `${pages.url}/?room=${encodeURIComponent(room)}&autostart=1` +
      `&signaling=${encodeURIComponent(daemon.url)}`;

    const alice = await browser.open(url, { name: 'alice' });
    await waitForState(alice, 'joined');
    const bob = await browser.open(url, { name: 'bob' });
    await waitForState(bob, 'joined_conn');
    await waitForState(alice, 'joined_conn');

    await waitForCall(alice);
    await waitForCall(bob);

    // The room holds the two pages' socket ids, in join order: the ids of
    // socket.io are parley's peer ids.
    const ids = [];
    for (const page of [alice, bob]) ids.push(await page.evaluate(() => window.socket.id));
    const rooms = await daemon.admin('/admin/rooms');
    assert.deepEqual(rooms.find((r) => r.room === room)?.peers, ids);

    // The client upgraded from long-polling to WebSocket, as socket.io-client does.
    for (const page of [alice, bob]) {
      await page.waitForFunction(
        () => window.socket.io.engine.transport.name === 'websocket',
        null,
        { timeout: WAIT_MS, polling: POLL_MS },
      );
    }

    // Bob hangs up by closing his tab: Alice hears `bye` and waits again.
    await bob.close();
    await waitForState(alice, 'joined_unbind');
    const after = await daemon.admin('/admin/rooms');
    assert.deepEqual(after.find((r) => r.room === room)?.peers, [ids[0]]);
  });
});
