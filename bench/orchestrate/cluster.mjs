// The cluster scenarios' processes besides the servers: a throw-away
// redis-server (Debian's) on 127.0.0.1, pinned like the servers, and the
// wait for a parley node's /readyz (a node answers joins only once it is
// registered in Redis).
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function hasRedisServer() {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

// A TCP port on 127.0.0.1 that was free a moment ago: redis-server cannot
// pick one itself (its --port 0 turns TCP off). startRedis retries when it
// was taken meanwhile.
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function pong(port) {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.setEncoding('utf8');
    socket.setTimeout(1000, () => { socket.destroy(); resolve(false); });
    socket.on('data', (chunk) => {
      answer += chunk;
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
  });
}

// Starts redis-server under `taskset -c core` (no configuration file, nothing
// saved, its log in `dir`); resolves with {child, pid, port, url, argv, log}
// once it answers PING.
export async function startRedis({ core, dir, timeoutMs = 20000 }) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const argv = ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '',
      '--appendonly', 'no', '--dir', dir, '--logfile', path.join(dir, `redis-${port}.log`),
      '--daemonize', 'no'];
    const child = spawn('taskset', ['-c', String(core), ...argv], { stdio: 'ignore' });
    let exited = false;
    child.once('exit', () => { exited = true; });
    child.once('error', () => { exited = true; });
    const deadline = Date.now() + timeoutMs;
    while (!exited && Date.now() < deadline) {
      if (await pong(port)) {
        return { child, pid: child.pid, port, url: `redis://127.0.0.1:${port}`, argv, log: [] };
      }
      await sleep(50);
    }
    if (!exited) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    }
  }
  throw new Error('redis-server did not start on any of five free ports (is it installed?)');
}

function status(port, target) {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: target, timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

// Resolves once GET /readyz on the node's public port answers 200.
export async function awaitReady(port, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await status(port, '/readyz')) === 200) return;
    await sleep(50);
  }
  throw new Error(`the parley node on port ${port} was not ready (/readyz) within ${timeoutMs} ms`);
}
