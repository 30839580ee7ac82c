// Debian's haproxy in front of the cluster's nodes, configured with the example of
// docs/operations.md itself: the test reads that block and only points its `bind`
// and `server` lines at 127.0.0.1, so the documented configuration is what is
// tested. A `global` section adds the runtime socket that tells the test which
// servers haproxy has marked up (its health checks of /readyz).

import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { SOURCE_DIR } from '../../e2e/lib/daemon.mjs';
import { waitUntil } from '../../e2e/lib/wait.mjs';
import { accepts, exchange, freePort } from './ports.mjs';

const DOCS = path.join(SOURCE_DIR, 'docs', 'operations.md');
const MARKER = 'A haproxy front for three nodes';

/** The first fenced block after MARKER in docs/operations.md, as lines. */
export async function documentedConfig() {
  const text = await readFile(DOCS, 'utf8');
  const start = text.indexOf(MARKER);
  if (start < 0) throw new Error(`docs/operations.md no longer says '${MARKER}'`);
  const open = text.indexOf('```\n', start);
  const close = text.indexOf('\n```', open + 4);
  return text.slice(open + 4, close).split('\n');
}

/**
 * The documented configuration with its one `bind` on 127.0.0.1:`frontPort` and
 * its servers, in order, on 127.0.0.1:`nodePorts[i]`. Throws when the example no
 * longer has one bind and as many servers as there are nodes: then this test and
 * the docs must be looked at together.
 */
export function pointAtLoopback(lines, frontPort, nodePorts) {
  let binds = 0;
  let servers = 0;
  const out = lines.map((line) => {
    const bind = /^(\s*bind\s+)\S+.*$/.exec(line);
    if (bind) {
      binds += 1;
      return `${bind[1]}127.0.0.1:${frontPort}`; // TLS (`ssl crt`) is the front's own business
    }
    const server = /^(\s*server\s+\S+\s+)\S+(.*)$/.exec(line);
    if (server) {
      const port = nodePorts[servers++];
      return `${server[1]}127.0.0.1:${port}${server[2]}`;
    }
    return line;
  });
  if (binds !== 1 || servers !== nodePorts.length) {
    throw new Error(
      `the haproxy example of docs/operations.md has ${binds} bind and ${servers} server ` +
        `lines; the test expects 1 and ${nodePorts.length}`,
    );
  }
  return out;
}

/**
 * Starts haproxy in the foreground on a free port in front of `nodePorts`.
 * @param {number[]} nodePorts
 */
export async function startHaproxy(nodePorts) {
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-lb-haproxy-'));
  const socket = path.join(dir, 'admin.sock');
  const documented = await documentedConfig();
  const log = [];
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    const config = path.join(dir, 'haproxy.cfg');
    await writeFile(
      config,
      ['global', `    stats socket ${socket} level admin`, '',
        ...pointAtLoopback(documented, port, nodePorts), ''].join('\n'),
    );
    // haproxy's own check first: a documented example that does not parse fails here
    // with haproxy's words.
    try {
      await promisify(execFile)('haproxy', ['-c', '-q', '-f', config]);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(
        err.code === 'ENOENT'
          ? 'cannot run haproxy (scripts/install-deps installs it)'
          : `haproxy refuses the documented configuration: ${err.stderr || err.message}`,
      );
    }
    const child = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => log.push(line));
    }
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const listening = waitUntil(() => accepts(port), {
      timeout: 20_000,
      what: 'haproxy to listen',
    });
    const outcome = await Promise.race([listening.then(() => 'up'), exited.then(() => 'exited')]);
    if (outcome === 'exited') continue; // the port was taken meanwhile
    const proxy = {
      url: `ws://127.0.0.1:${port}/ws`,
      port,
      log: () => log.join('\n'),
      /** haproxy's view of each server of the backend: name -> status ("UP", "DOWN", ...). */
      async serverStatus() {
        const csv = await exchange({ path: socket }, 'show stat\n');
        const rows = csv.split('\n').filter((row) => row && !row.startsWith('#'));
        const status = {};
        for (const row of rows) {
          const fields = row.split(',');
          // pxname, svname, ..., status is the 18th field (haproxy's CSV format).
          if (fields[0] === 'parleyd' && fields[1] !== 'BACKEND') status[fields[1]] = fields[17];
        }
        return status;
      },
      /** Resolves once haproxy's checks have marked every server of the backend up. */
      async awaitAllUp(what = 'haproxy to mark every node up') {
        await waitUntil(
          async () => {
            const status = Object.values(await proxy.serverStatus());
            return status.length === nodePorts.length && status.every((s) => s === 'UP');
          },
          { timeout: 30_000, what },
        );
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
        await rm(dir, { recursive: true, force: true });
      },
    };
    return proxy;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`haproxy did not start on any of five free ports:\n${log.join('\n')}`);
}
