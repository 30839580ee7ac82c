// A minimal room relay of parley's native dialect (protocol-v1.md) on Node's `ws`: the
// same messages as parley (welcome, join/joined/peer-joined, leave/left/
// peer-left, relay with `from` set, ping/pong, errors for bad input) without
// resume, auth, rate limits or TURN. One JSON.parse and one JSON.stringify per
// relayed message, whatever the number of receivers.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { WebSocketServer } from 'ws';
import { announce, parseArgs, stopOnSignals } from './args.mjs';

const options = parseArgs(process.argv.slice(2));
const server = options.tlsCert
  ? https.createServer({ cert: fs.readFileSync(options.tlsCert), key: fs.readFileSync(options.tlsKey) })
  : http.createServer();
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false, maxPayload: 65536 });

const rooms = new Map(); // room name -> Map(peer id -> socket)
const RELAYED = new Set(['offer', 'answer', 'candidate', 'message']);
const REQUIRED = { offer: 'sdp', answer: 'sdp', candidate: 'candidate', message: 'data' };

function send(socket, object) {
  socket.send(JSON.stringify(object));
}

function reply(socket, message, object) {
  if (message.rid !== undefined) object.rid = message.rid;
  send(socket, object);
}

function fail(socket, message, code, text) {
  reply(socket, message ?? {}, { type: 'error', code, message: text });
}

function validRoom(room) {
  return Buffer.byteLength(room) >= 1 && Buffer.byteLength(room) <= 64 && !/[\u0000-\u001f\u007f]/.test(room);
}

function leaveRoom(socket, reason) {
  const members = rooms.get(socket.room);
  if (!members) return;
  members.delete(socket.id);
  const text = JSON.stringify({ type: 'peer-left', room: socket.room, id: socket.id, reason });
  for (const other of members.values()) other.send(text);
  if (members.size === 0) rooms.delete(socket.room);
  socket.room = null;
}

wss.on('connection', (socket) => {
  socket.id = crypto.randomBytes(16).toString('base64url');
  socket.room = null;
  send(socket, { type: 'welcome', id: socket.id, resume: '', version: 1 });

  socket.on('message', (data, isBinary) => {
    if (isBinary) return socket.close(1003);
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return fail(socket, null, 'bad-json', 'not JSON');
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      return fail(socket, null, 'bad-json', 'not a JSON object');
    }
    if (typeof message.type !== 'string') return fail(socket, message, 'bad-message', 'no type');
    if (message.to !== undefined && typeof message.to !== 'string') {
      return fail(socket, message, 'bad-message', '`to` is not a string');
    }

    if (RELAYED.has(message.type)) {
      const field = REQUIRED[message.type];
      if (!(field in message) || (field === 'sdp' && typeof message.sdp !== 'string')) {
        return fail(socket, message, 'bad-message', `${field} missing`);
      }
      const members = rooms.get(socket.room);
      if (!members) return fail(socket, message, 'not-in-room', 'join a room first');
      message.from = socket.id;
      if (message.to !== undefined) {
        const target = message.to !== socket.id && members.get(message.to);
        if (!target) return fail(socket, message, 'unknown-peer', 'no such peer in the room');
        return target.send(JSON.stringify(message));
      }
      const text = JSON.stringify(message);
      for (const [id, other] of members) {
        if (id !== socket.id) other.send(text);
      }
      return;
    }

    switch (message.type) {
      case 'join': {
        if (typeof message.room !== 'string') return fail(socket, message, 'bad-message', 'room');
        if (!validRoom(message.room)) return fail(socket, message, 'bad-room', 'bad room name');
        if (socket.room !== null) return fail(socket, message, 'already-in-room', 'leave first');
        const members = rooms.get(message.room) ?? new Map();
        if (members.size >= options.maxPeers) return reply(socket, message, { type: 'full', room: message.room });
        const peers = [...members.keys()];
        const announcement = JSON.stringify({ type: 'peer-joined', room: message.room, id: socket.id });
        for (const other of members.values()) other.send(announcement);
        members.set(socket.id, socket);
        rooms.set(message.room, members);
        socket.room = message.room;
        return reply(socket, message, { type: 'joined', room: message.room, id: socket.id, peers, iceServers: [] });
      }
      case 'leave': {
        if (socket.room === null) return fail(socket, message, 'not-in-room', 'in no room');
        const room = socket.room;
        leaveRoom(socket, 'leave');
        return reply(socket, message, { type: 'left', room, reason: 'leave' });
      }
      case 'ping':
        return reply(socket, message, { type: 'pong' });
      default:
        return fail(socket, message, 'unknown-type', `unknown type ${message.type}`);
    }
  });

  socket.on('close', () => leaveRoom(socket, 'disconnect'));
});

server.listen(options.port, options.address, () => announce(server, options.address));
stopOnSignals(server);
