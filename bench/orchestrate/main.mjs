// bench/run's measuring half (bench/run builds first): runs every scenario
// against parley and its peers, server pinned to core 0 and the load
// generator to core 1, a fresh server per run, interleaved rounds; then
// writes docs/benchmarks.md and the plots. The cluster scenarios (when
// redis-server is installed) start a fresh redis-server and one or two
// servers per run, all on core 0.
//
//   node bench/orchestrate/main.mjs --build-dir DIR [--rounds 3] [--quick]
//        [--servers parley,beast,...] [--only relay-200-k1,churn,cluster,...]
//        [--baseline PATH/TO/parleyd --baseline-label TEXT]
//   node bench/orchestrate/main.mjs --report-from bench/results/<run>   (rewrite the report only)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { awaitReady, hasRedisServer, startRedis } from './cluster.mjs';
import { clusterLatencyMeasurements, clusterMeasurements, curveMeasurements, latencyMeasurements, mainMeasurements,
  variant, withBaseline } from './plan.mjs';
import { runLoadgen, startServer, stopServer } from './processes.mjs';
import { QuietWaiter } from './quiet.mjs';
import { writePlots } from './plots.mjs';
import { writeReport } from './report.mjs';
import { SERVERS, ServerCatalogue } from './servers.mjs';
import { median, pick } from './stats.mjs';

const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const repoDir = path.dirname(benchDir);

function parseArgs(argv) {
  const args = { buildDir: path.join(repoDir, 'build-bench'), rounds: 3, quick: false, servers: null, only: null, report: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--build-dir') args.buildDir = path.resolve(argv[++i]);
    else if (a === '--rounds') args.rounds = Number(argv[++i]);
    else if (a === '--quick') args.quick = true;
    else if (a === '--servers') args.servers = argv[++i].split(',');
    else if (a === '--only') args.only = argv[++i].split(',');
    else if (a === '--no-report') args.report = false;
    else if (a === '--report-from') args.reportFrom = path.resolve(argv[++i]);
    else if (a === '--baseline') args.baseline = path.resolve(argv[++i]);
    else if (a === '--baseline-label') args.baselineLabel = argv[++i];
    else throw new Error(`unknown option ${a}`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
function nameBaseline(a) {
  if (a.baseline) SERVERS['parley-base'].label = `parley baseline (${a.baselineLabel ?? a.baseline})`;
}
if (args.reportFrom) {
  const runs = fs.readFileSync(path.join(args.reportFrom, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const saved = JSON.parse(fs.readFileSync(path.join(args.reportFrom, 'context.json'), 'utf8'));
  nameBaseline(saved.args);
  const plots = writePlots(runs, saved);
  writeReport(runs, { ...saved, plots });
  console.log(`rewrote ${path.join(saved.repoDir, 'docs', 'benchmarks.md')} from ${args.reportFrom}`);
  process.exit(0);
}
if (args.baseline && !fs.existsSync(args.baseline)) throw new Error(`--baseline: no file ${args.baseline}`);
nameBaseline(args);
const fdLimit = Number(execFileSync('bash', ['-c', 'ulimit -n']).toString().trim()) || 1024;
const params = args.quick
  ? { warmup: 0.5, duration: 1, latencyWarmup: 0.5, latencyDuration: 1, sessions: 2000, fanoutRooms: 25,
      pairs: 100, curveFractions: [0.25, 0.75] }
  : { warmup: 1, duration: 2, latencyWarmup: 1, latencyDuration: 3, sessions: 19000, fanoutRooms: 25,
      pairs: 100, curveFractions: [0.25, 0.75, 0.9] };
// Each idle session is one descriptor in the server and one in the generator.
params.sessions = Math.min(params.sessions, 2 * Math.floor((fdLimit - 400) / 2));
if (args.quick) args.rounds = Math.min(args.rounds, 1);

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const workDir = path.join(benchDir, 'results', stamp);
fs.mkdirSync(workDir, { recursive: true });
const runsFile = path.join(workDir, 'runs.jsonl');

// A throw-away ECDSA certificate for the wss:// runs.
const cert = { cert: path.join(workDir, 'cert.pem'), key: path.join(workDir, 'key.pem') };
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
  '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-keyout', cert.key, '-out', cert.cert], { stdio: 'ignore' });

const catalogue = new ServerCatalogue({ buildDir: args.buildDir, benchDir, workDir, cert, baseline: args.baseline });
const loadgen = path.join(args.buildDir, 'bench', 'parley_loadgen');
const results = [];
const started = Date.now();
const quiet = new QuietWaiter();

// The processes of one measurement, all on core 0: one server, or with the
// cluster variants a fresh redis-server and `nodes` servers on it (parley
// nodes are awaited until their /readyz says they are registered).
async function deploy(server, settings) {
  const processes = [];
  const stop = async () => {
    const exits = [];
    for (const p of [...processes].reverse()) exits.unshift(await stopServer(p));
    return exits.length === 1 ? exits[0] : exits;
  };
  try {
    let redis = null;
    if (settings.redis) {
      redis = await startRedis({ core: 0, dir: workDir });
      processes.push(redis);
    }
    const nodes = [];
    for (let i = 0; i < (settings.nodes ?? 1); i++) {
      const argv = catalogue.argv(server, { ...settings, redis: redis?.url ?? null });
      const node = await startServer(argv, { core: 0 });
      node.argv = argv;
      processes.push(node);
      nodes.push(node);
    }
    if (redis && server !== 'sio') for (const node of nodes) await awaitReady(node.port);
    return { nodes, redis, stop, argvs: processes.map((p) => p.argv), log: () => processes.flatMap((p) => p.log).slice(-40) };
  } catch (error) {
    await stop();
    throw error;
  }
}

function loadgenArgs(m, server, dialect, deployment) {
  const { nodes, redis } = deployment;
  const a = ['--mode', m.mode, '--dialect', dialect, '--host', '127.0.0.1', '--port', String(nodes[0].port),
    '--server-pid', nodes.map((n) => n.pid).join(',')];
  if (nodes.length > 1) a.push('--port2', String(nodes[1].port));
  if (redis) a.push('--redis', `127.0.0.1:${redis.port}`);
  if (m.tls) a.push('--tls');
  if (m.mode === 'idle') {
    // RSS and descriptors must be back within 5 s of the last close.
    a.push('--sessions', String(m.sessions), '--bind-from', '127.0.0.2', '--per-address', '4000',
      '--setup-timeout', '120', '--recovery', '5');
    return a;
  }
  const latency = m.mode === 'latency';
  a.push('--warmup', String(latency ? params.latencyWarmup : params.warmup),
    '--duration', String(latency ? params.latencyDuration : params.duration));
  if (m.size) a.push('--size', String(m.size));
  if (m.inflight) a.push('--inflight', String(m.inflight));
  if (m.mode === 'fanout') a.push('--rooms', String(m.rooms), '--room-size', String(m.roomSize));
  else a.push('--pairs', String(params.pairs));
  if (latency) a.push('--rate', String(m.rate));
  return a;
}

async function measure(m, key, round) {
  const { server, options, dialect } = variant(key);
  const settings = { ...options, tls: Boolean(m.tls), maxPeers: m.roomSize ?? 2 };
  const record = { id: m.id, server: key, round, mode: m.mode, size: m.size, rate: m.rate, fraction: m.fraction };
  record.quietBefore = await quiet.settle();
  let deployment;
  try {
    deployment = await deploy(server, settings);
    record.serverArgv = deployment.nodes[0].argv;
    if (deployment.argvs.length > 1) record.serverArgvs = deployment.argvs;
    const a = loadgenArgs(m, server, dialect ?? SERVERS[server].dialect, deployment);
    record.loadgenArgs = a;
    const budget = m.mode === 'idle' ? 400000 : 120000;
    record.report = await runLoadgen(loadgen, a, { core: 1, timeoutMs: budget });
  } catch (error) {
    record.report = { ok: false, faults: { 'server-start': 1 }, fault_examples: [String(error.message).slice(0, 2000)], figures: {} };
  } finally {
    if (deployment) {
      record.serverExit = await deployment.stop();
      if (!record.report?.ok) record.serverLog = deployment.log().slice(-20);
    }
  }
  results.push(record);
  fs.appendFileSync(runsFile, JSON.stringify(record) + '\n');
  const f = record.report.figures ?? {};
  const figure = m.mode === 'idle'
    ? `${((f.rss_bytes_per_session ?? NaN) / 1024).toFixed(2)} KiB/session`
    : m.mode === 'latency'
      ? `p99 ${f.latency_us?.p99 ?? '?'} us at ${m.rate}/s`
      : `${Math.round(f.per_second ?? NaN)}/s`;
  const status = record.report.ok ? 'ok' : `FAULTS ${JSON.stringify(record.report.faults)}`;
  const elapsed = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`[${elapsed}s] round ${round} ${m.id} ${key}: ${figure} ${status}`);
  if (!record.report.ok) console.log(`    ${(record.report.fault_examples ?? []).slice(0, 3).join('\n    ')}`);
  return record;
}

function selected(measurements) {
  return measurements
    .filter((m) => !args.only || args.only.some((o) => m.id.startsWith(o)))
    .map((m) => ({ ...m, servers: m.servers.filter((s) => !args.servers || args.servers.includes(variant(s).server) ||
      (s === 'parley-base' && args.servers.includes('parley'))) }))
    .filter((m) => m.servers.length > 0);
}

// Interleaved rounds: every measurement once per round, the server order
// rotated from round to round, so that slow drifts of the machine spread
// over all servers alike.
async function rounds(measurements, count) {
  for (let round = 1; round <= count; round++) {
    for (const m of measurements) {
      const order = m.servers.map((_, i) => m.servers[(i + round - 1) % m.servers.length]);
      for (const key of order) await measure(m, key, round);
    }
  }
}

function medianOf(id, server, figure) {
  return median(results.filter((r) => r.id === id && r.server === server && r.report.ok)
    .map((r) => pick(r.report, figure)));
}

function saturated(server) {
  return Math.max(medianOf('relay-200-k1', server, 'figures.per_second') || 0,
    medianOf('relay-200-k8', server, 'figures.per_second') || 0);
}

const machine = {
  cpu: (os.cpus()[0]?.model ?? 'unknown').trim(),
  cores: os.cpus().length,
  memory_gib: Math.round(os.totalmem() / 2 ** 30),
  kernel: os.release(),
  loadavg_start: os.loadavg(),
  fd_limit: fdLimit,
};

const compared = (measurements) => (args.baseline ? withBaseline(measurements) : measurements);
await rounds(selected(compared(mainMeasurements(params))), args.rounds);
let parleySat = saturated('parley');
let sioSat = saturated('sio');
// Without a figure of its own (filtered out, or failed), a server's latency
// is measured at the rate of the fastest peer measured.
if (!parleySat) parleySat = Math.max(...['beast', 'ws', 'epoll'].map(saturated)) || 50000;
if (!sioSat) sioSat = 20000;
await rounds(selected(compared(latencyMeasurements(parleySat, sioSat))), args.rounds);
await rounds(selected(curveMeasurements(parleySat, params.curveFractions, params)), 1);
// The cluster scenarios need Debian's redis-server (scripts/install-deps).
const clusterWanted = selected(clusterMeasurements()).length > 0;
const clusterRun = clusterWanted && hasRedisServer();
if (clusterWanted && !clusterRun) console.log('redis-server not found (scripts/install-deps installs it): no cluster scenarios');
let clusterSat = NaN;
if (clusterRun) {
  await rounds(selected(clusterMeasurements()), args.rounds);
  clusterSat = medianOf('cluster-relay-200-k1', 'parley@cluster', 'figures.per_second');
  if (Number.isFinite(clusterSat)) await rounds(selected(clusterLatencyMeasurements(clusterSat)), args.rounds);
}
machine.loadavg_end = os.loadavg();

const context = { args, params, machine, parleySat, sioSat, clusterSat, repoDir, benchDir, workDir, stamp,
  minutes: (Date.now() - started) / 60000, quietWaitSeconds: quiet.spentSeconds };
fs.writeFileSync(path.join(workDir, 'context.json'), JSON.stringify(context, null, 2));
if (args.report) {
  const plots = writePlots(results, context);
  writeReport(results, { ...context, plots });
  console.log(`wrote ${path.join(repoDir, 'docs', 'benchmarks.md')}`);
}
const failed = results.filter((r) => !r.report.ok);
console.log(`${results.length} runs, ${failed.length} with faults, ${context.minutes.toFixed(1)} min; raw results in ${workDir}`);
process.exit(failed.length ? 1 : 0);
