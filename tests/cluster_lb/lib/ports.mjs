// A TCP port on 127.0.0.1 that was free a moment ago, for the programs that cannot
// report a kernel-chosen port of their own (redis-server's --port 0 turns TCP off;
// haproxy names no bound port). The starters retry with a new one if it was taken.

import net from 'node:net';

/** @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Sends `request` on a fresh connection (TCP `{port}` or Unix `{path}`) and resolves
 * with everything the other side wrote until it closed, or rejects on an error.
 * @param {net.NetConnectOpts} where
 * @param {string} request
 * @param {{untilText?: string}} [options]  Resolve early once the answer holds this.
 * @returns {Promise<string>}
 */
export function exchange(where, request, { untilText } = {}) {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect({ host: '127.0.0.1', ...where }, () => socket.write(request));
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      answer += chunk;
      if (untilText && answer.includes(untilText)) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** Resolves true once a TCP connection to 127.0.0.1:`port` opens (then closes it). */
export function accepts(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', reject);
  });
}
