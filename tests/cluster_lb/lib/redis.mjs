// A throw-away redis-server on 127.0.0.1 (Debian's, from scripts/install-deps): no
// configuration file, nothing saved, killed with the test.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from '../../e2e/lib/wait.mjs';
import { exchange, freePort } from './ports.mjs';

/**
 * @returns {Promise<{url: string, port: number, stop: () => Promise<void>}>}
 */
export async function startRedis() {
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-lb-redis-'));
  // The port was free when picked; a server that exits at once lost it to another
  // process, and a new one is tried.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--dir', dir, '--logfile', path.join(dir, 'redis.log'), '--daemonize', 'no'],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.once('exit', () => resolve(true)));
    const spawnError = new Promise((_, reject) => child.once('error', reject));
    spawnError.catch(() => {});
    const answered = waitUntil(
      async () => (await exchange({ port }, 'PING\r\n', { untilText: '\r\n' })).startsWith('+PONG'),
      { timeout: 20_000, what: 'redis-server to answer PING' },
    );
    const outcome = await Promise.race([
      answered.then(() => 'up'),
      exited.then(() => 'exited'),
      spawnError.catch((err) => {
        throw new Error(`cannot run redis-server (scripts/install-deps installs it): ${err}`);
      }),
    ]);
    if (outcome === 'exited') continue;
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error('redis-server did not start on any of five free ports');
}
