// Shared by the socket.io tests (tests/node/socketio*.test.mjs): clients that
// record everything they receive, so that a test waits for an event instead of
// racing it, and raw Engine.IO access for what a well-behaved client never does.
//
// Every wait is bounded only so that a broken server fails the test instead of
// hanging it; nothing here measures time.

import { io } from 'socket.io-client';
import WebSocket from 'ws';

// The daemon under test (env PARLEYD), as the browser tests start it.
export { startDaemon } from '../e2e/lib/daemon.mjs';

/** Long enough for anything on a loaded 2-core machine; a bound, not a speed test. */
export const WAIT_MS = 15_000;

function bounded(promise, what, ms = WAIT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Settles when `emitter` emits `event` (resolving with its arguments). */
export function once(emitter, event, what = event) {
  return bounded(new Promise((resolve) => emitter.once(event, (...args) => resolve(args))), what);
}

/**
 * A queue of received items that tests take from in order of arrival, waiting
 * when the item they want has not come yet.
 */
class Inbox {
  constructor(describe) {
    this.items = [];
    this.waiters = [];
    this.describe = describe;
  }

  push(item) {
    this.items.push(item);
    for (const waiter of [...this.waiters]) waiter();
  }

  /** The first item matching `match`, removed from the queue (waits for it). */
  take(match, what) {
    return bounded(
      new Promise((resolve) => {
        const look = () => {
          const index = this.items.findIndex(match);
          if (index < 0) return false;
          const [item] = this.items.splice(index, 1);
          this.waiters = this.waiters.filter((w) => w !== look);
          resolve(item);
          return true;
        };
        if (!look()) this.waiters.push(look);
      }),
      `${what} (received so far: ${this.describe(this.items)})`,
    );
  }

  has(match) {
    return this.items.some(match);
  }
}

/**
 * A socket.io-client v4 socket on `url` that records every event it receives.
 * `options` go to io(); reconnection is off unless asked for, so that a closed
 * connection stays closed.
 */
export function sioClient(url, options = {}) {
  const socket = io(url, { forceNew: true, reconnection: false, ...options });
  const inbox = new Inbox((items) => JSON.stringify(items.map((i) => [i.event, ...i.args])));
  socket.onAny((event, ...args) => inbox.push({ event, args }));
  socket.on('disconnect', (reason) => inbox.push({ event: 'disconnect', args: [reason] }));
  socket.on('connect_error', (err) =>
    inbox.push({ event: 'connect_error', args: [err.message, err.data] }),
  );
  return {
    socket,
    /** The arguments of the next `event` (other events stay queued). */
    async next(event) {
      const item = await inbox.take((i) => i.event === event, `event '${event}'`);
      return item.args;
    },
    /** True when an `event` has arrived and was not taken yet. */
    received(event) {
      return inbox.has((i) => i.event === event);
    },
    close() {
      socket.disconnect();
    },
  };
}

/** Connects and waits for the `connect` event. */
export async function connectedClient(url, options = {}) {
  const client = sioClient(url, options);
  // `connect` is not an onAny event: wait for it directly.
  if (!client.socket.connected) {
    await bounded(
      new Promise((resolve, reject) => {
        client.socket.once('connect', resolve);
        client.socket.once('connect_error', reject);
      }),
      'connect',
    );
  }
  return client;
}

/** A WebSocket client that queues what it receives: text messages and the close. */
export function rawWebSocket(url, options = {}) {
  const ws = new WebSocket(url, options);
  const inbox = new Inbox((items) => JSON.stringify(items));
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  ws.on('message', (data, isBinary) => inbox.push({ text: isBinary ? null : data.toString() }));
  ws.on('close', (code, reason) => inbox.push({ close: code, reason: reason.toString() }));
  ws.on('error', () => {});
  return {
    ws,
    opened: () => bounded(opened, `WebSocket ${url} to open`),
    send: (text) => ws.send(text),
    /** The next text message. */
    async text() {
      const item = await inbox.take((i) => i.text !== undefined || i.close !== undefined, 'a message');
      if (item.close !== undefined) throw new Error(`closed (${item.close}) instead of a message`);
      return item.text;
    },
    /** The next text message that `match` accepts (others are dropped). */
    async textMatching(match) {
      for (;;) {
        const text = await this.text();
        if (match(text)) return text;
      }
    },
    /** Resolves with the close code once the server closed the connection. */
    async closed() {
      const item = await inbox.take((i) => i.close !== undefined, 'the close');
      return item.close;
    },
    close: () => ws.close(),
  };
}

/** A native protocol-v1 client on /ws, JSON in and out. */
export async function nativeClient(baseUrl) {
  const raw = rawWebSocket(baseUrl.replace(/^http/, 'ws') + '/ws');
  await raw.opened();
  const welcome = JSON.parse(await raw.text());
  return {
    id: welcome.id,
    raw,
    send: (message) => raw.send(JSON.stringify(message)),
    /** The next frame of `type` (frames of other types are dropped). */
    async next(type) {
      const text = await raw.textMatching((t) => JSON.parse(t).type === type);
      return JSON.parse(text);
    },
    close: () => raw.close(),
  };
}

/** The Engine.IO endpoint of a daemon. */
export function endpoint(baseUrl, query = '') {
  return `${baseUrl}/socket.io/?EIO=4&transport=polling${query}`;
}

/** A long-polling handshake by hand: the open packet's JSON. */
export async function pollingHandshake(baseUrl, headers = {}) {
  const response = await fetch(endpoint(baseUrl), { headers });
  const body = await response.text();
  if (response.status !== 200 || body[0] !== '0') {
    throw new Error(`handshake: HTTP ${response.status} ${body}`);
  }
  return JSON.parse(body.slice(1));
}

/** Splits a polling answer into its packets. */
export function packets(body) {
  return body.split('\x1e');
}

/** Makes a room name no other test uses. */
export function uniqueRoom(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
