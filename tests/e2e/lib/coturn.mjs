// Starts Debian's coturn (`turnserver`, env TURNSERVER) on 127.0.0.1 for a test and
// stops it again: TURN REST credentials (`use-auth-secret`) with the given shared
// secret, UDP and TCP on one free port, relay addresses on loopback, no TLS, no CLI,
// no configuration file of the system, and its log, pid file and database in a
// temporary directory. Ready once it answers a STUN binding request.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const TURNSERVER = process.env.TURNSERVER ?? '/usr/bin/turnserver';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

/** A port that is free for both TCP and UDP on 127.0.0.1 right now. */
async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: p } = server.address();
        server.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise((resolve) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

/** Sends STUN binding requests to `port` until one is answered (bounded). */
async function awaitStunAnswer(port, exited) {
  const socket = dgram.createSocket('udp4');
  const answered = new Promise((resolve) => socket.once('message', resolve));
  // RFC 5389: Binding Request, no attributes, the magic cookie, a transaction id.
  const request = Buffer.concat([
    Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]),
    randomBytes(12),
  ]);
  // UDP may be lost, and the server may not listen yet: ask again until it answers.
  const send = () => socket.send(request, port, '127.0.0.1');
  send();
  const resend = setInterval(send, 100);
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('turnserver did not answer STUN in time')),
      START_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([answered, exited, timeout]);
  } finally {
    clearInterval(resend);
    clearTimeout(timer);
    socket.close();
  }
}

/**
 * @typedef {Object} Coturn
 * @property {number} port          UDP and TCP listening port on 127.0.0.1.
 * @property {string} url           `turn:127.0.0.1:<port>?transport=udp`.
 * @property {() => Promise<string>} log
 * @property {() => Promise<void>} stop  SIGTERM (SIGKILL after a bound), awaits the exit.
 */

/**
 * @param {{secret: string, realm?: string}} options
 * @returns {Promise<Coturn>}
 */
export async function startCoturn({ secret, realm = 'parley.test' }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-coturn-'));
  const logFile = path.join(dir, 'turnserver.log');
  const port = await freePort();
  const args = [
    '-n', // no configuration file: only these options
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--allow-loopback-peers', // the peers of this test are on loopback
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    `--realm=${realm}`,
    '--fingerprint',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--no-rfc5780',
    `--log-file=${logFile}`,
    '--simple-log',
    '--no-stdout-log',
    `--pidfile=${path.join(dir, 'turnserver.pid')}`,
    `--db=${path.join(dir, 'turndb')}`,
  ];
  const child = spawn(TURNSERVER, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exitedPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const readLog = async () => {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    return `${log}${stderr}`;
  };
  const exited = new Promise((_, reject) => {
    child.once('error', reject);
    exitedPromise.then(({ code, signal }) =>
      reject(new Error(`turnserver exited (code ${code}, signal ${signal})`)),
    );
  });
  exited.catch(() => {});

  let stopped = null;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let killTimer;
      const result = await Promise.race([
        exitedPromise,
        new Promise((resolve) => {
          killTimer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(killTimer);
      if (result === null) {
        child.kill('SIGKILL');
        await exitedPromise;
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    await awaitStunAnswer(port, exited);
  } catch (err) {
    err.message += `\n--- turnserver log ---\n${await readLog()}`;
    await stop();
    throw err;
  }
  return { port, url: `turn:127.0.0.1:${port}?transport=udp`, log: readLog, stop };
}
