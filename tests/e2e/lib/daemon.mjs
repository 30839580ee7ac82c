// Starts the parleyd under test (env PARLEYD) on 127.0.0.1 with kernel-chosen ports
// and stops it again. The ports are learnt from the daemon's log, which names every
// listener as "listening on HOST:PORT (public|admin)".

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const LISTENING = /listening on (\S+):(\d+) \((public|admin)\)/;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** The repository's root: PARLEY_SOURCE_DIR, or three levels above this file. */
export const SOURCE_DIR =
  process.env.PARLEY_SOURCE_DIR ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function parleydPath() {
  const binary = process.env.PARLEYD;
  if (!binary) {
    throw new Error('set PARLEYD to the parleyd binary under test (ctest does this)');
  }
  return binary;
}

/**
 * The daemon reads every PARLEY_<SECTION>_<KEY> variable as a setting (and warns
 * about unknown ones, such as the tests' own PARLEY_SOURCE_DIR): a developer's
 * PARLEY_LISTEN_PORT would change it. Its configuration comes from the file only.
 */
function environmentWithoutParleySettings() {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('PARLEY_')),
  );
}

/** Deep-merges plain objects: `extra` wins. */
function merge(base, extra) {
  const out = { ...base };
  for (const [key, value] of Object.entries(extra ?? {})) {
    const isObject = value && typeof value === 'object' && !Array.isArray(value);
    out[key] = isObject ? merge(base[key] ?? {}, value) : value;
  }
  return out;
}

/** "0.0.0.0" and "::" mean every address; connect to loopback then. */
function connectHost(host) {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === '0.0.0.0') return '127.0.0.1';
  if (bare === '::') return '::1';
  return bare;
}

function hostForUrl(host) {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * @typedef {Object} Daemon
 * @property {string} url          http://host:port of the public listener (serves the demo page).
 * @property {string} host
 * @property {number} port
 * @property {string} adminUrl     http://host:port of the admin listener.
 * @property {string} adminToken
 * @property {(path: string) => Promise<any>} admin  GET on the admin API, JSON body.
 * @property {() => string} log    Everything the daemon wrote to stderr so far.
 * @property {() => Promise<{code: number|null, signal: string|null}>} stop  SIGTERM, awaits exit.
 */

/**
 * Starts parleyd with a temporary configuration file: the repository's web/ as
 * static_dir, the admin listener on a kernel-chosen port with a random token, and
 * `config` merged on top (e.g. `{limits: {max_peers_per_room: 4}}`). `port` is the
 * public listener's (0: chosen by the kernel); a node restarted behind a load balancer
 * must come back on the port the balancer knows.
 * @param {{config?: Object, port?: number}} [options]
 * @returns {Promise<Daemon>}
 */
export async function startDaemon({ config = {}, port = 0 } = {}) {
  const binary = parleydPath();
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-e2e-'));
  const adminToken = randomBytes(16).toString('hex');
  const configFile = path.join(dir, 'parleyd.json');
  const fullConfig = merge(
    {
      static_dir: path.join(SOURCE_DIR, 'web'),
      admin: { address: '127.0.0.1', port: 0, token: adminToken },
      log: { level: 'info' },
    },
    config,
  );
  await writeFile(configFile, JSON.stringify(fullConfig, null, 2));

  const child = spawn(binary, [
    '--config',
    configFile,
    '--address',
    '127.0.0.1',
    '--port',
    String(port),
  ], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: environmentWithoutParleySettings(),
  });
  const logLines = [];
  const listeners = {};
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // Rejects if the daemon cannot be spawned or exits; only the start-up waits on it,
  // so it is marked handled for the exit that stop() causes later.
  const failed = new Promise((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      reject(new Error(`parleyd exited before listening (code ${code}, signal ${signal})`));
    });
  });
  failed.catch(() => {});

  const ready = new Promise((resolve) => {
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      logLines.push(line);
      if (process.env.PARLEY_E2E_VERBOSE) process.stderr.write(`[parleyd] ${line}\n`);
      const match = LISTENING.exec(line);
      if (!match) return;
      listeners[match[3]] = { host: connectHost(match[1]), port: Number(match[2]) };
      if (listeners.public && listeners.admin) resolve();
    });
  });

  let timer;
  const startTimeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('parleyd did not report both listeners in time')),
      START_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([ready, failed, startTimeout]);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    err.message += `\n--- parleyd stderr ---\n${logLines.join('\n')}`;
    throw err;
  } finally {
    clearTimeout(timer);
  }

  const pub = listeners.public;
  const adm = listeners.admin;
  const adminUrl = `http://${hostForUrl(adm.host)}:${adm.port}`;
  let stopped = null;

  return {
    url: `http://${hostForUrl(pub.host)}:${pub.port}`,
    host: pub.host,
    port: pub.port,
    adminUrl,
    adminToken,
    async admin(apiPath) {
      const response = await fetch(adminUrl + apiPath, {
        headers: { Authorization: `Bearer ${adminToken}` },
      });
      if (!response.ok) throw new Error(`GET ${apiPath}: HTTP ${response.status}`);
      return response.json();
    },
    log: () => logLines.join('\n'),
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        let killTimer;
        const result = await Promise.race([
          exited,
          new Promise((resolve) => {
            killTimer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS);
          }),
        ]);
        clearTimeout(killTimer);
        await rm(dir, { recursive: true, force: true });
        if (result === null) {
          child.kill('SIGKILL');
          await exited;
          throw new Error(`parleyd did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`);
        }
        return result;
      })();
      return stopped;
    },
  };
}
