// A WebSocket server whose every answer the test writes by hand, for what the real
// daemon cannot be made to do on demand (close with 1012, say). It also serves a
// blank page and web/parley.js, so a browser can load the client from it.
// Just enough of RFC 6455 for that: unfragmented text frames and close frames.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { SOURCE_DIR } from './daemon.mjs';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function frame(opcode, payload) {
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0x80 | opcode, length]) : Buffer.alloc(4, 0);
  if (length >= 126) {
    if (length > 0xffff) throw new Error('frame too large for this test server');
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  }
  return Buffer.concat([header, payload]);
}

/** One accepted WebSocket connection. */
class ScriptedConnection {
  constructor(socket) {
    this.socket = socket;
    /** Messages (parsed JSON) the client sent, in order. */
    this.received = [];
    this.closed = false;
    this._waiters = [];
    this._buffer = Buffer.alloc(0);
    socket.on('data', (data) => this._onData(data));
    socket.on('close', () => {
      this.closed = true;
      this._wake();
    });
    socket.on('error', () => {});
  }

  send(message) {
    this.socket.write(frame(0x1, Buffer.from(JSON.stringify(message))));
  }

  /** Sends a close frame with `code` and ends the TCP connection. */
  close(code) {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.socket.end(frame(0x8, payload));
  }

  /** Resolves once the TCP connection is closed (at once if it is already). */
  whenClosed() {
    return new Promise((resolve) => {
      const check = () => {
        if (this.closed) resolve();
        return this.closed;
      };
      if (!check()) this._waiters.push(check);
    });
  }

  /** Resolves with the client's `index`-th message once it has arrived. */
  nthMessage(index) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.received.length > index) resolve(this.received[index]);
        else if (this.closed)
          reject(new Error(`connection closed after ${this.received.length} messages`));
        else return false;
        return true;
      };
      if (!check()) this._waiters.push(check);
    });
  }

  _wake() {
    this._waiters = this._waiters.filter((check) => !check());
  }

  _onData(data) {
    this._buffer = Buffer.concat([this._buffer, data]);
    for (;;) {
      const buf = this._buffer;
      if (buf.length < 2) return;
      const opcode = buf[0] & 0x0f;
      let length = buf[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buf.length < 4) return;
        length = buf.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buf.length < 10) return;
        length = Number(buf.readBigUInt64BE(2));
        offset = 10;
      }
      if (buf.length < offset + 4 + length) return;
      const mask = buf.subarray(offset, offset + 4);
      const payload = Buffer.from(buf.subarray(offset + 4, offset + 4 + length));
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      this._buffer = buf.subarray(offset + 4 + length);
      if (opcode === 0x1) {
        this.received.push(JSON.parse(payload.toString('utf8')));
        this._wake();
      } else if (opcode === 0x8) {
        this.socket.end(frame(0x8, payload.subarray(0, 2)));
      }
    }
  }
}

/**
 * @returns {Promise<{url: string, wsUrl: string, nextConnection: () => Promise<ScriptedConnection>, close: () => Promise<void>}>}
 */
export async function startScriptedServer() {
  const parleyJs = await readFile(path.join(SOURCE_DIR, 'web', 'parley.js'));
  const pending = [];
  const waiting = [];
  const sockets = new Set();

  const server = http.createServer((req, res) => {
    if (req.url === '/parley.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(parleyJs);
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>parley.js under test</title>');
    }
  });
  server.on('upgrade', (req, socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const accept = createHash('sha1')
      .update(req.headers['sec-websocket-key'] + GUID)
      .digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const connection = new ScriptedConnection(socket);
    const waiter = waiting.shift();
    if (waiter) waiter(connection);
    else pending.push(connection);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    /** Resolves with the next WebSocket connection (or one that came already). */
    nextConnection() {
      const ready = pending.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => waiting.push(resolve));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
