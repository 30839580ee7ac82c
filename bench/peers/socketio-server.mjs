// The classic 1:1 WebRTC signaling server on Node, express and socket.io 4,
// as many applications run it: the peer parley's socket.io dialect replaces.
// Events (protocol-v1.md, "socket.io dialect"): join(room) -> joined(room, id)
// to the joiner and otherjoin(room, id) to the others, or full(room, id);
// message(room, data) -> message(room, data) to the others; leave(room) ->
// leaved(room, id) and bye(room, id); a disconnect sends bye(room, id).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import express from 'express';
import { Server } from 'socket.io';
import { announce, parseArgs, stopOnSignals } from './args.mjs';

const options = parseArgs(process.argv.slice(2));
const app = express();
app.get('/healthz', (req, res) => res.send('ok'));
const server = options.tlsCert
  ? https.createServer({ cert: fs.readFileSync(options.tlsCert), key: fs.readFileSync(options.tlsKey) }, app)
  : http.createServer(app);
const io = new Server(server, { cors: { origin: '*' } });

io.on('connection', (socket) => {
  socket.on('join', (room) => {
    if (typeof room !== 'string') return;
    const members = io.sockets.adapter.rooms.get(room);
    if (members && members.size >= options.maxPeers) {
      socket.emit('full', room, socket.id);
      return;
    }
    socket.join(room);
    socket.to(room).emit('otherjoin', room, socket.id);
    socket.emit('joined', room, socket.id);
  });

  socket.on('message', (room, data) => {
    if (socket.rooms.has(room)) socket.to(room).emit('message', room, data);
  });

  socket.on('leave', (room) => {
    if (!socket.rooms.has(room)) return;
    socket.leave(room);
    socket.to(room).emit('bye', room, socket.id);
    socket.emit('leaved', room, socket.id);
  });

  socket.on('disconnecting', () => {
    for (const room of socket.rooms) {
      if (room !== socket.id) socket.to(room).emit('bye', room, socket.id);
    }
  });
});

server.listen(options.port, options.address, () => announce(server, options.address));
stopOnSignals(server);
