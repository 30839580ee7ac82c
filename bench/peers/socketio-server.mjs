// The classic 1:1 WebRTC signaling server on Node, express and socket.io 4,
// as many applications run it: the peer parley's socket.io dialect replaces.
// Events (protocol-v1.md, "socket.io dialect"): join(room) -> joined(room, id)
// to the joiner and otherjoin(room, id) to the others, or full(room, id);
// message(room, data) -> message(room, data) to the others; leave(room) ->
// leaved(room, id) and bye(room, id); a disconnect sends bye(room, id).
//
// With --redis URL it is scaled out the way socket.io's users do it: any
// number of these processes on one Redis, with @socket.io/redis-adapter (and
// the `redis` client), so that a room spans the processes. Every broadcast is
// then published on Redis, and a join counts the room's members on every
// process (fetchSockets(), a request to the others through Redis; not atomic:
// two joiners racing on two processes may both get the last seat).
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

if (options.redis) {
  const { createClient } = await import('redis');
  const { createAdapter } = await import('@socket.io/redis-adapter');
  const pubClient = createClient({ url: options.redis });
  const subClient = pubClient.duplicate();
  for (const client of [pubClient, subClient]) {
    client.on('error', (error) => process.stderr.write(`redis: ${error.message}\n`));
  }
  await Promise.all([pubClient.connect(), subClient.connect()]);
  io.adapter(createAdapter(pubClient, subClient));
}

io.on('connection', (socket) => {
  const admit = (room) => {
    socket.join(room);
    socket.to(room).emit('otherjoin', room, socket.id);
    socket.emit('joined', room, socket.id);
  };
  socket.on('join', (room) => {
    if (typeof room !== 'string') return;
    if (options.redis) {
      // The room's members on every process (the adapter asks the others).
      io.in(room).fetchSockets().then((members) => {
        if (!socket.connected) return;
        if (members.length >= options.maxPeers) socket.emit('full', room, socket.id);
        else admit(room);
      }, (error) => process.stderr.write(`fetchSockets: ${error.message}\n`));
      return;
    }
    const members = io.sockets.adapter.rooms.get(room);
    if (members && members.size >= options.maxPeers) {
      socket.emit('full', room, socket.id);
      return;
    }
    admit(room);
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
