// The servers measured, how to start each one, and which load generator
// dialect speaks to it. Every server listens on 127.0.0.1, port 0.
import fs from 'node:fs';
import path from 'node:path';

export const SERVERS = {
  parley: { label: 'parley', dialect: 'native', tls: true, rooms: true },
  // Another parleyd binary (bench/run --baseline), measured beside the one
  // built: a before/after comparison of a change in one run.
  'parley-base': { label: 'parley baseline', dialect: 'native', tls: true, rooms: true },
  beast: { label: 'bare Beast relay', dialect: 'bare', tls: true, rooms: false },
  epoll: { label: 'bare epoll relay', dialect: 'framed', tls: false, rooms: false },
  ws: { label: 'Node ws relay (native)', dialect: 'native', tls: true, rooms: true },
  sio: { label: 'Node socket.io 4 server', dialect: 'sio', tls: true, rooms: true },
};

// parley's settings for measuring it: protocol limits that would cut a
// closed-loop benchmark short are raised (the client is trusted here), never
// removed; the process runs `threads` I/O threads (1: the server has one core);
// with `redis` (a URL) it is a node of the cluster on that Redis.
export function parleyConfig({ maxPeers = 2, tls = null, threads = 1, redis = null }) {
  const config = {
    listen: { address: '127.0.0.1', port: 0 },
    admin: { address: '127.0.0.1', port: 0 },
    threads,
    static_dir: '',
    limits: {
      max_peers_per_room: maxPeers,
      max_rooms: 1000000,
      messages_per_second: 10000000,
      message_burst: 10000000,
    },
    heartbeat: { ping_interval: 600, ping_timeout: 600 },
    log: { level: 'info' },
  };
  if (tls) config.tls = { cert: tls.cert, key: tls.key };
  if (redis) config.cluster = { redis };
  return config;
}

export class ServerCatalogue {
  constructor({ buildDir, benchDir, workDir, cert, baseline = null }) {
    this.buildDir = buildDir;
    this.baseline = baseline;
    this.benchDir = benchDir;
    this.workDir = workDir;
    this.cert = cert;
  }

  // The command line that starts `name` with these settings; `redis` (a URL):
  // a node of a cluster on that Redis (parley), or scaled out on it with the
  // Redis adapter (socket.io).
  argv(name, { maxPeers = 2, tls = false, threads = 1, redis = null } = {}) {
    const tlsFiles = tls ? this.cert : null;
    switch (name) {
      case 'parley':
      case 'parley-base': {
        const cluster = redis ? `-redis${new URL(redis).port}` : '';
        const file = path.join(this.workDir, `parley-p${maxPeers}-t${threads}${tls ? '-tls' : ''}${cluster}.json`);
        fs.writeFileSync(file, JSON.stringify(parleyConfig({ maxPeers, tls: tlsFiles, threads, redis }), null, 2));
        const binary = name === 'parley' ? path.join(this.buildDir, 'parleyd') : this.baseline;
        return [binary, '--config', file, '--address', '127.0.0.1', '--port', '0'];
      }
      case 'beast':
        return [path.join(this.buildDir, 'bench', 'bare_beast_relay'), '--address', '127.0.0.1', '--port', '0',
          ...(tlsFiles ? ['--tls-cert', tlsFiles.cert, '--tls-key', tlsFiles.key] : [])];
      case 'epoll':
        return [path.join(this.buildDir, 'bench', 'bare_epoll_relay'), '--address', '127.0.0.1', '--port', '0'];
      case 'ws':
      case 'sio': {
        const script = name === 'ws' ? 'ws-relay.mjs' : 'socketio-server.mjs';
        return ['node', path.join(this.benchDir, 'peers', script), '--address', '127.0.0.1', '--port', '0',
          '--max-peers', String(maxPeers),
          ...(tlsFiles ? ['--tls-cert', tlsFiles.cert, '--tls-key', tlsFiles.key] : []),
          ...(redis && name === 'sio' ? ['--redis', redis] : [])];
      }
      default:
        throw new Error(`unknown server ${name}`);
    }
  }
}
