// A TCP proxy in front of the daemon, so a test can cut connections the way a broken
// network does: both sockets reset, no WebSocket close frame to either side.

import net from 'node:net';

/**
 * @typedef {Object} TcpProxy
 * @property {number} port                The proxy's port on 127.0.0.1.
 * @property {() => number} dropAll       Resets every proxied connection; returns how many.
 * @property {() => void} hold            New connections are accepted but not forwarded...
 * @property {() => void} release         ...until this (they then go through in order).
 * @property {() => number} heldCount     Connections waiting because of hold().
 * @property {() => Promise<void>} close
 */

/**
 * @param {string} targetHost
 * @param {number} targetPort
 * @returns {Promise<TcpProxy>}
 */
export async function startTcpProxy(targetHost, targetPort) {
  /** @type {Set<{client: net.Socket, upstream: net.Socket}>} */
  const pairs = new Set();
  /** @type {net.Socket[]} */
  const held = [];
  let holding = false;

  const forward = (client) => {
    const upstream = net.connect(targetPort, targetHost);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    if (holding) {
      client.on('error', () => client.destroy());
      held.push(client);
    } else {
      forward(client);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });

  const reset = (socket) => {
    if (socket.destroyed) return;
    // A reset, not a FIN: the peer learns at once that the connection is gone and
    // receives nothing more, close frame included.
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  };

  return {
    port: server.address().port,
    dropAll() {
      const victims = [...pairs];
      pairs.clear();
      for (const { client, upstream } of victims) {
        reset(client);
        reset(upstream);
      }
      return victims.length;
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const client of held.splice(0)) if (!client.destroyed) forward(client);
    },
    heldCount: () => held.filter((c) => !c.destroyed).length,
    async close() {
      for (const client of held.splice(0)) client.destroy();
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
