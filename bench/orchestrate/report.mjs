// Writes the measured parts of docs/benchmarks.md: everything between the
// BEGIN and END markers is replaced, the prose around them is kept. The
// cluster scenarios have markers of their own: a run rewrites the main section
// only if it measured a main scenario, the cluster section only if it
// measured a cluster scenario (bench/run --only cluster keeps the main results).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SERVERS } from './servers.mjs';
import { median, pick, summary } from './stats.mjs';

const BEGIN = '<!-- BEGIN bench/run output (rewritten by every run; edit the prose outside) -->';
const END = '<!-- END bench/run output -->';
const CLUSTER_BEGIN = '<!-- BEGIN bench/run cluster output (rewritten by runs that measure the cluster scenarios) -->';
const CLUSTER_END = '<!-- END bench/run cluster output -->';

export function isCluster(record) {
  return record.id.startsWith('cluster-');
}

const SUFFIXES = {
  t2: () => ' (threads 2)',
  sio: () => ' (socket.io dialect)',
  local: () => ', one node with cluster.redis set',
  cluster: (server) => (server === 'sio' ? ', two processes on the Redis adapter' : ', two nodes on one Redis'),
};

function label(key) {
  const [server, suffix] = key.split('@');
  return (SERVERS[server]?.label ?? server) + (SUFFIXES[suffix]?.(server) ?? '');
}

// The figure's spread over the rounds that completed without a fault.
function cell(results, id, server, figure) {
  const values = results.filter((r) => r.id === id && r.server === server && r.report.ok)
    .map((r) => pick(r.report, figure));
  return summary(values);
}

function failedRuns(results, id, server) {
  return results.filter((r) => r.id === id && r.server === server && !r.report.ok).length;
}

function fmt(value, digits = 0) {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function spread(s, digits = 0, scale = 1) {
  if (!Number.isFinite(s.median)) return 'n/a';
  const m = fmt(s.median * scale, digits);
  if (s.n < 2) return m;
  return `${m} (${fmt(s.min * scale, digits)}-${fmt(s.max * scale, digits)})`;
}

function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function evaluateTargets(results) {
  const m = (id, server, figure) => cell(results, id, server, figure).median;
  const rate = (id, server) => m(id, server, 'figures.per_second');
  const cpu = (id, server) => m(id, server, 'figures.server_cpu_us_per_item');
  const targets = [];
  const shown = (value, unit) => (Number.isFinite(value) ? `${fmt(value, 2)}${unit}` : 'n/a');
  // A throughput ratio with, beside it, the same ratio per second of server
  // CPU (from CPU per item): on a shared machine the server may not get its
  // whole core, and then the second is the fairer comparison.
  const rateTarget = (name, id, a, b, bound, idB = id) => targets.push({
    name, value: shown(ratio(rate(id, a), rate(idB, b)), 'x'), bound: `>= ${bound}x`,
    met: ratio(rate(id, a), rate(idB, b)) >= bound,
    perCpu: shown(ratio(cpu(idB, b), cpu(id, a)), 'x'),
  });
  const atMost = (name, value, bound, unit = 'x') => targets.push({
    name, value: shown(value, unit), bound: `<= ${bound}${unit}`, met: value <= bound, perCpu: '' });

  rateTarget('relay 200 B, K=1: parley / bare Beast relay', 'relay-200-k1', 'parley', 'beast', 1.0);
  rateTarget('relay 200 B, K=1: parley / bare epoll relay', 'relay-200-k1', 'parley', 'epoll', 0.6);
  rateTarget('relay 200 B, K=1: parley / ws relay', 'relay-200-k1', 'parley', 'ws', 1.4);
  rateTarget('relay 4 KB, K=1: parley / bare Beast relay', 'relay-4k-k1', 'parley', 'beast', 1.0);
  rateTarget('relay 4 KB, K=1: parley / ws relay', 'relay-4k-k1', 'parley', 'ws', 1.6);
  rateTarget('relay 200 B: parley K=8 / parley K=1', 'relay-200-k8', 'parley', 'parley', 1.15, 'relay-200-k1');
  atMost('server CPU per relayed 200 B message: parley / bare Beast relay',
    ratio(cpu('relay-200-k1', 'parley'), cpu('relay-200-k1', 'beast')), 1.0);
  atMost('p99 at 50% of parley\'s saturated rate: parley / bare epoll relay',
    ratio(m('latency-parley50', 'parley', 'figures.latency_us.p99'), m('latency-parley50', 'epoll', 'figures.latency_us.p99')), 2.0);
  atMost('p99 at 50% of socket.io\'s saturated rate: parley / socket.io',
    ratio(m('latency-sio50', 'parley', 'figures.latency_us.p99'), m('latency-sio50', 'sio', 'figures.latency_us.p99')), 0.25);
  rateTarget('churn: parley / bare Beast relay', 'churn', 'parley', 'beast', 0.8);
  rateTarget('churn: parley / ws relay', 'churn', 'parley', 'ws', 1.3);
  const kib = (id, server) => m(id, server, 'figures.rss_bytes_per_session') / 1024;
  atMost('idle ws: parley RSS per session', kib('idle-ws', 'parley'), 4.5, ' KiB');
  atMost('idle ws: parley / bare Beast relay RSS per session', ratio(kib('idle-ws', 'parley'), kib('idle-ws', 'beast')), 0.7);
  atMost('idle wss: parley RSS per session', kib('idle-wss', 'parley'), 16, ' KiB');
  atMost('idle ws: parley RSS after all left / baseline', m('idle-ws', 'parley', 'figures.after_rss_ratio'), 1.25);
  atMost('idle wss: parley RSS after all left / baseline', m('idle-wss', 'parley', 'figures.after_rss_ratio'), 1.25);
  rateTarget('fan-out, rooms of 8: parley / ws relay deliveries', 'fanout-8', 'parley', 'ws', 1.5);
  for (const t of targets) {
    if (t.value.startsWith('n/a')) t.met = null;
  }
  return targets;
}

// A figure the load generator, not the server, may have limited: the
// generator's median CPU was at least 95% of its core.
const CLIENT_BOUND = 0.95;
function rateCell(results, id, server) {
  const rate = cell(results, id, server, 'figures.per_second');
  const generator = cell(results, id, server, 'figures.generator_cpu_utilization').median;
  return spread(rate) + (generator >= CLIENT_BOUND ? ' †' : '');
}

function throughputSection(results) {
  const servers = ['parley', 'parley-base', 'parley@t2', 'parley@sio', 'beast', 'epoll', 'ws', 'sio'];
  const rows = servers.filter((s) => results.some((r) => r.server === s && r.id.startsWith('relay'))).map((s) => [
    label(s),
    rateCell(results, 'relay-200-k1', s),
    rateCell(results, 'relay-4k-k1', s),
    rateCell(results, 'relay-200-k8', s),
    spread(cell(results, 'relay-200-k1', s, 'figures.server_cpu_us_per_item'), 2),
    spread(cell(results, 'relay-4k-k1', s, 'figures.server_cpu_us_per_item'), 2),
    spread(cell(results, 'relay-200-k1', s, 'figures.server_cpu_utilization'), 0, 100) + '%',
    spread(cell(results, 'relay-200-k1', s, 'figures.generator_cpu_utilization'), 0, 100) + '%',
  ]);
  return table(['server', '200 B, K=1 (msg/s)', '4 KB, K=1 (msg/s)', '200 B, K=8 (msg/s)',
    'server CPU per msg, 200 B K=1 (µs)', 'server CPU per msg, 4 KB K=1 (µs)', 'server CPU, 200 B K=1',
    'generator CPU, 200 B K=1'], rows) +
    '\n\n† the load generator used 95% or more of its core: the figure may be the generator\'s limit, ' +
    'not the server\'s (its server CPU per message still holds).';
}

function latencySection(results) {
  const rows = [];
  for (const id of ['latency-parley50', 'latency-sio50']) {
    const runs = results.filter((r) => r.id === id);
    const servers = [...new Set(runs.map((r) => r.server))];
    for (const s of servers) {
      const c = (f) => spread(cell(results, id, s, `figures.latency_us.${f}`), 0);
      const rate = runs.find((r) => r.server === s)?.rate;
      const overloaded = runs.some((r) => r.server === s && r.report.figures?.overloaded);
      rows.push([id === 'latency-parley50' ? `${fmt(rate)}/s (50% of parley)` : `${fmt(rate)}/s (50% of socket.io)`,
        label(s) + (overloaded ? ' (overloaded)' : ''), c('p50'), c('p90'), c('p99'), c('p999'), c('max'),
        spread(cell(results, id, s, 'figures.send_lateness_us.p99'), 0)]);
    }
  }
  return table(['offered load', 'server', 'p50 (µs)', 'p90 (µs)', 'p99 (µs)', 'p99.9 (µs)', 'max (µs)',
    'generator send lateness p99 (µs)'], rows);
}

function churnSection(results) {
  const servers = ['parley', 'parley-base', 'parley@sio', 'beast', 'epoll', 'ws', 'sio'].filter((s) => results.some((r) => r.id === 'churn' && r.server === s));
  return table(['server', 'join+leave operations/s', 'join latency p99 (µs)', 'server CPU per operation (µs)'],
    servers.map((s) => [label(s), rateCell(results, 'churn', s),
      spread(cell(results, 'churn', s, 'figures.join_latency_us.p99')),
      spread(cell(results, 'churn', s, 'figures.server_cpu_us_per_item'), 2)]));
}

function fanoutSection(results) {
  const servers = ['parley', 'parley-base', 'ws', 'sio'].filter((s) => results.some((r) => r.id === 'fanout-8' && r.server === s));
  return table(['server', 'deliveries/s', 'server CPU per delivery (µs)'],
    servers.map((s) => [label(s), rateCell(results, 'fanout-8', s),
      spread(cell(results, 'fanout-8', s, 'figures.server_cpu_us_per_item'), 2)]));
}

function idleSection(results) {
  const rows = [];
  for (const id of ['idle-ws', 'idle-wss']) {
    for (const s of ['parley', 'parley-base', 'beast', 'ws', 'sio']) {
      if (!results.some((r) => r.id === id && r.server === s)) continue;
      const c = (f, d = 0, scale = 1) => spread(cell(results, id, s, `figures.${f}`), d, scale);
      const sessions = results.find((r) => r.id === id && r.server === s && r.report.ok)?.report.figures.sessions;
      rows.push([id === 'idle-ws' ? 'ws://' : 'wss://', label(s), fmt(sessions),
        c('rss_bytes_per_session', 2, 1 / 1024), c('baseline_rss_bytes', 1, 1 / 2 ** 20),
        c('joined_rss_bytes', 1, 1 / 2 ** 20), c('after_rss_ratio', 2), `${c('after_fds')} (baseline ${c('baseline_fds')})`,
        c('sessions_per_second')]);
    }
  }
  return table(['transport', 'server', 'sessions', 'RSS per session (KiB)', 'baseline RSS (MiB)', 'joined RSS (MiB)',
    'RSS after all left / baseline', 'fds after all left', 'sessions set up per second'], rows);
}

function socketioSection(results) {
  const m = (id, s, f) => cell(results, id, s, f).median;
  const x = (value) => (Number.isFinite(value) ? `${fmt(value, 2)}x` : 'n/a');
  const r = (id) => x(ratio(m(id, 'parley', 'figures.per_second'), m(id, 'sio', 'figures.per_second')));
  return table(['measurement', 'parley / socket.io'], [
    ['relay 200 B, K=1', r('relay-200-k1')],
    ['relay 4 KB, K=1', r('relay-4k-k1')],
    ['relay 200 B, K=8', r('relay-200-k8')],
    ['churn', r('churn')],
    ['fan-out, rooms of 8', r('fanout-8')],
    ['idle RSS per ws session', x(ratio(m('idle-ws', 'parley', 'figures.rss_bytes_per_session'), m('idle-ws', 'sio', 'figures.rss_bytes_per_session')))],
    ['p99 at 50% of socket.io\'s saturated rate', x(ratio(m('latency-sio50', 'parley', 'figures.latency_us.p99'), m('latency-sio50', 'sio', 'figures.latency_us.p99')))],
  ]);
}

// parley against the baseline binary (bench/run --baseline) measured in the
// same rounds: the before/after figures of a change.
function baselineSection(results) {
  if (!results.some((r) => r.server === 'parley-base')) return '';
  const m = (id, s, f) => cell(results, id, s, f).median;
  const x = (value) => (Number.isFinite(value) ? `${fmt(value, 3)}x` : 'n/a');
  const row = (name, id, figure, digits, scale = 1) => [name,
    fmt(m(id, 'parley', figure) * scale, digits), fmt(m(id, 'parley-base', figure) * scale, digits),
    x(ratio(m(id, 'parley', figure), m(id, 'parley-base', figure)))];
  const rows = [
    row('relay 200 B, K=1 (msg/s)', 'relay-200-k1', 'figures.per_second', 0),
    row('relay 4 KB, K=1 (msg/s)', 'relay-4k-k1', 'figures.per_second', 0),
    row('relay 200 B, K=8 (msg/s)', 'relay-200-k8', 'figures.per_second', 0),
    row('churn (join+leave operations/s)', 'churn', 'figures.per_second', 0),
    row('fan-out, rooms of 8 (deliveries/s)', 'fanout-8', 'figures.per_second', 0),
    row('server CPU per message, 200 B K=1 (µs)', 'relay-200-k1', 'figures.server_cpu_us_per_item', 2),
    row('server CPU per message, 4 KB K=1 (µs)', 'relay-4k-k1', 'figures.server_cpu_us_per_item', 2),
    row('server CPU per churn operation (µs)', 'churn', 'figures.server_cpu_us_per_item', 2),
    row('server CPU per fan-out delivery (µs)', 'fanout-8', 'figures.server_cpu_us_per_item', 2),
    row('p99 latency at 50% of parley\'s saturated rate (µs)', 'latency-parley50', 'figures.latency_us.p99', 0),
    row('idle ws: RSS per session (KiB)', 'idle-ws', 'figures.rss_bytes_per_session', 2, 1 / 1024),
    row('idle wss: RSS per session (KiB)', 'idle-wss', 'figures.rss_bytes_per_session', 2, 1 / 1024),
  ].filter((r) => r[1] !== 'n/a' || r[2] !== 'n/a');
  return `### Against the baseline binary (\`--baseline\`)\n\n${table(['measurement', 'parley', label('parley-base'), 'parley / baseline'], rows)}\n\n`;
}

function capacitySection(results, context) {
  const m = (id, s, f) => cell(results, id, s, f).median;
  const perCore = (id) => ratio(m(id, 'parley', 'figures.per_second'), m(id, 'parley', 'figures.server_cpu_utilization'));
  const t1 = m('relay-200-k1', 'parley', 'figures.per_second');
  const t2 = m('relay-200-k1', 'parley@t2', 'figures.per_second');
  return [
    `- parley relays **${fmt(perCore('relay-200-k1'))} messages/s per core** of server CPU at 200 B (K=1), ` +
    `${fmt(perCore('relay-4k-k1'))} at 4 KB and ${fmt(perCore('relay-200-k8'))} at 200 B with K=8; ` +
    `${fmt(perCore('churn'))} join+leave operations/s per core; ` +
    `an idle ws session costs ${fmt(m('idle-ws', 'parley', 'figures.rss_bytes_per_session') / 1024, 2)} KiB.`,
    `- \`threads\` 2 on the same single core: ${fmt(t2)} messages/s against ${fmt(t1)} with 1 thread ` +
    `(${fmt(ratio(t2, t1), 2)}x), ${fmt(m('relay-200-k1', 'parley@t2', 'figures.server_cpu_us_per_item'), 2)} µs of ` +
    `server CPU per message against ${fmt(m('relay-200-k1', 'parley', 'figures.server_cpu_us_per_item'), 2)}. ` +
    'With the load generator on the only other core, this machine cannot show scaling across cores (on a shared ' +
    'core a second thread mostly wins a larger share of the scheduler); size a bigger machine from the ' +
    'per-core figures above.',
    `- Saturated rates used for the latency runs: parley ${fmt(context.parleySat)} msg/s, ` +
    `socket.io ${fmt(context.sioSat)} msg/s (the higher of the K=1 and K=8 relay medians at 200 B).`,
  ].join('\n');
}

function commandsSection(results, context) {
  const rel = (p) => p.replaceAll(context.workDir, '$RESULTS').replaceAll(context.repoDir + '/', '');
  const seen = new Set();
  const lines = [];
  for (const r of results) {
    const key = `${r.id}/${r.server}`;
    if (seen.has(key) || !r.loadgenArgs) continue;
    seen.add(key);
    const value = (option) => r.loadgenArgs[r.loadgenArgs.indexOf(option) + 1];
    let args = r.loadgenArgs.join(' ').replace(`--port ${value('--port')}`, '--port $PORT')
      .replace(`--server-pid ${value('--server-pid')}`, r.serverArgvs ? '--server-pid $PIDS' : '--server-pid $PID');
    if (r.loadgenArgs.includes('--port2')) args = args.replace(`--port2 ${value('--port2')}`, '--port2 $PORT2');
    if (r.loadgenArgs.includes('--redis')) args = args.replace(`--redis ${value('--redis')}`, '--redis 127.0.0.1:$REDIS_PORT');
    lines.push(`# ${r.id}, ${label(r.server)}`);
    for (const argv of r.serverArgvs ?? [r.serverArgv]) {
      const line = rel(argv.map((word) => (word === '' ? "''" : word)).join(' '));
      const redisPort = r.loadgenArgs.includes('--redis') ? value('--redis').split(':')[1] : null;
      lines.push(`taskset -c 0 ${redisPort ? line.replaceAll(redisPort, '$REDIS_PORT') : line}`);
    }
    lines.push(`taskset -c 1 ${rel(path.join(context.args.buildDir, 'bench', 'parley_loadgen'))} ${args}`);
  }
  return lines.join('\n');
}

function faultsSection(results) {
  const failed = results.filter((r) => !r.report.ok);
  if (failed.length === 0) return 'None: every relayed message arrived once, in order, from the right sender, and every session joined.';
  return failed.map((r) => `- ${r.id}, ${label(r.server)}, round ${r.round}: ${JSON.stringify(r.report.faults)}; ` +
    `${(r.report.fault_examples ?? []).slice(0, 2).map((e) => '`' + e.slice(0, 300).replaceAll('`', "'") + '`').join('; ')}`).join('\n');
}

function versions(context) {
  const run = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      return 'unknown';
    }
  };
  const gcc = run('g++', ['-dumpfullversion']);
  const node = process.version;
  const boost = run('bash', ['-c', "dpkg-query -W -f='${Version}' libboost1.81-dev 2>/dev/null"]);
  const debian = run('cat', ['/etc/debian_version']);
  const commit = run('git', ['-C', context.repoDir, 'rev-parse', '--short', 'HEAD']);
  return { gcc, node, boost, debian, commit };
}

// Two cores leave nothing spare: other work on the machine during the
// measured windows (other_cpu_cores, from /proc/stat less the server's and
// the generator's CPU) means the servers got less than their core.
function interference(results) {
  const values = results.map((r) => r.report.figures?.other_cpu_cores).filter(Number.isFinite);
  return { median: median(values), max: Math.max(0, ...values),
    busy: values.filter((v) => v >= 0.3).length, n: values.length };
}

function sharedMachineNote(results) {
  const i = interference(results);
  if (i.busy === 0) return '';
  return `> **The machine was shared during this run:** in ${i.busy} of ${i.n} measured windows other work ` +
    `used 0.3 cores or more (median ${fmt(i.median, 2)}, max ${fmt(i.max, 2)} of 2 cores), so servers got only part ` +
    'of their core (see the CPU columns), which skews throughput and latency ratios. CPU per item is measured, ' +
    'not shared, so the last column, the throughput ratio per second of server CPU, is the fairer comparison ' +
    'for such a run.\n\n';
}

function generated(results, context) {
  const targets = evaluateTargets(results);
  const v = versions(context);
  const mc = context.machine;
  const verdict = (t) => (t.met === null ? 'no figure' : t.met ? 'met' : '**not met**');
  const plots = (context.plots ?? []).map((p) => `![${p.title}](${path.relative(path.join(context.repoDir, 'docs'), p.file)})`).join('\n\n');
  return `${BEGIN}

## Results of the last run

Run \`${context.stamp}\` of \`bench/run${context.args.quick ? ' --quick' : ''}\`: ${context.args.rounds} interleaved round(s),
${context.minutes.toFixed(1)} minutes of measuring; ${results.length} runs, ${results.filter((r) => !r.report.ok).length} with faults.
Machine: ${mc.cpu}, ${mc.cores} cores, ${mc.memory_gib} GiB, Linux ${mc.kernel}, Debian ${v.debian},
file-descriptor limit ${mc.fd_limit}; load average ${mc.loadavg_start.map((x) => x.toFixed(2)).join(' ')} at the start,
${mc.loadavg_end.map((x) => x.toFixed(2)).join(' ')} at the end; other work during the measured windows: median
${fmt(interference(results).median, 2)}, max ${fmt(interference(results).max, 2)} cores (${fmt(context.quietWaitSeconds ?? 0)} s spent waiting for a quiet machine). g++ ${v.gcc}, Boost ${v.boost}, Node.js ${v.node}; commit ${v.commit}.
Servers pinned to core 0, the load generator to core 1 (\`taskset\`). Figures are medians over the rounds
(min-max in parentheses); ratios are ratios of medians of this run.

### Targets

${sharedMachineNote(results)}${table(['target', 'measured', 'required', 'verdict', 'same ratio per second of server CPU'],
    targets.map((t) => [t.name, t.value, t.bound, verdict(t), t.perCpu]))}

### Relay throughput (100 pairs, closed loop)

${throughputSection(results)}

### Latency (100 pairs, open loop, 200 B, one-way)

${latencySection(results)}

### Churn (100 pairs: join a fresh room, both leave, next room)

${churnSection(results)}

### Fan-out (${context.params.fanoutRooms} rooms of 8, every member broadcasting)

${fanoutSection(results)}

### Idle sessions (rooms of 2)

${idleSection(results)}

${baselineSection(results)}### Against the socket.io server (reported, not judged)

${socketioSection(results)}

### Capacity per core

${capacitySection(results, context)}

### Plots

${plots || 'No plots (gnuplot missing).'}

### Correctness faults

${faultsSection(results)}

### Exact commands

\`bench/run\` builds with \`cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPARLEY_BUILD_BENCH=ON -DPARLEY_BUILD_TESTS=OFF\`,
installs the Node peers with \`npm ci\` in \`bench/peers\`, then runs (one fresh server per line pair; \`$RESULTS\` is
\`bench/results/<run>/\`, holding the generated configuration and certificate; \`$PORT\` and \`$PID\` are the server's):

\`\`\`sh
${commandsSection(results, context)}
\`\`\`

${END}`;
}

const SKELETON = `# Benchmarks

${BEGIN}
${END}
`;

// The cluster scenarios: parley's nodes and socket.io's processes on one
// Redis, with the references measured in the same run.
function redisCell(results, id, server, figure, digits = 2) {
  return spread(cell(results, id, server, `figures.redis.${figure}`), digits);
}

// Redis's own CPU per item (less its idle rate) plus the server processes'.
function systemCpu(results, id, server) {
  return summary(results.filter((r) => r.id === id && r.server === server && r.report.ok).map((r) => {
    const f = r.report.figures ?? {};
    return (f.server_cpu_us_per_item ?? NaN) + (f.redis ? f.redis.cpu_us_per_item : 0);
  }));
}

// The commands Redis ran per item, by command (medians over the rounds), the
// largest first: "evalsha 1.00, publish 1.00, ...".
function byCommand(results, id, server) {
  const runs = results.filter((r) => r.id === id && r.server === server && r.report.ok && r.report.figures?.redis);
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.report.figures.redis.by_command ?? {})))];
  return names.map((name) => [name, median(runs.map((r) => r.report.figures.redis.by_command[name] ?? 0))])
    .filter(([, v]) => v >= 0.005).sort((a, b) => b[1] - a[1])
    .map(([name, v]) => `${name.toUpperCase()} ${fmt(v, 2)}`).join(', ') || 'n/a';
}

function clusterServers(results, id) {
  const order = ['parley', 'parley@local', 'parley@cluster', 'sio', 'sio@cluster'];
  return order.filter((s) => results.some((r) => r.id === id && r.server === s));
}

function clusterTable(results, id, unit) {
  return table(['server', `${unit}/s`, `server CPU per ${unit} (µs, every node)`, `Redis CPU per ${unit} (µs)`,
    `system CPU per ${unit} (µs)`, `Redis commands per ${unit}`, 'by command', ...(id === 'cluster-churn' ? ['join latency p99 (µs)'] : []),
    'generator CPU'],
  clusterServers(results, id).map((s) => [label(s), rateCell(results, id, s),
    spread(cell(results, id, s, 'figures.server_cpu_us_per_item'), 2),
    redisCell(results, id, s, 'cpu_us_per_item'), spread(systemCpu(results, id, s), 2),
    redisCell(results, id, s, 'commands_per_item'), byCommand(results, id, s),
    ...(id === 'cluster-churn' ? [spread(cell(results, id, s, 'figures.join_latency_us.p99'))] : []),
    spread(cell(results, id, s, 'figures.generator_cpu_utilization'), 0, 100) + '%']));
}

function clusterTargets(results) {
  const m = (id, server, figure) => cell(results, id, server, figure).median;
  const rate = (id, server) => m(id, server, 'figures.per_second');
  const sys = (id, server) => systemCpu(results, id, server).median;
  const shown = (value) => (Number.isFinite(value) ? `${fmt(value, 2)}x` : 'n/a');
  const verdict = (value, ok) => (!Number.isFinite(value) ? 'no figure' : ok ? 'met' : '**not met**');
  const relay = 'cluster-relay-200-k1';
  const atLeast = (name, a, b, bound) => {
    const value = ratio(rate(relay, a), rate(relay, b));
    return [name, shown(value), `>= ${bound}x`, verdict(value, value >= bound), shown(ratio(sys(relay, b), sys(relay, a)))];
  };
  const p99 = ratio(m('cluster-latency50', 'parley@cluster', 'figures.latency_us.p99'),
    m('cluster-latency50', 'parley', 'figures.latency_us.p99'));
  return table(['target', 'measured', 'required', 'verdict', 'same ratio per µs of system CPU'], [
    atLeast('relay 200 B, K=1: parley across two nodes / parley single node', 'parley@cluster', 'parley', 0.5),
    atLeast('relay 200 B, K=1: parley across two nodes / socket.io across two processes (Redis adapter)',
      'parley@cluster', 'sio@cluster', 2),
    ['one-way p99 at 50% of the cross-node rate: parley across two nodes / parley single node', shown(p99),
      '<= 2x', verdict(p99, p99 <= 2), ''],
    atLeast('relay 200 B, K=1: parley one node with cluster.redis (peers local) / parley single node',
      'parley@local', 'parley', 0.9),
  ]);
}

function clusterLatency(results) {
  const rows = [];
  for (const s of ['parley', 'parley@cluster']) {
    const runs = results.filter((r) => r.id === 'cluster-latency50' && r.server === s);
    if (runs.length === 0) continue;
    const c = (f) => spread(cell(results, 'cluster-latency50', s, `figures.latency_us.${f}`), 0);
    rows.push([`${fmt(runs[0].rate)}/s`, label(s), c('p50'), c('p90'), c('p99'), c('p999'), c('max')]);
  }
  return rows.length ? table(['offered load', 'server', 'p50 (µs)', 'p90 (µs)', 'p99 (µs)', 'p99.9 (µs)', 'max (µs)'], rows)
    : 'Not measured (no cross-node relay figure to derive the rate from).';
}

function clusterIdle(results) {
  const servers = ['parley@local', 'parley@cluster', 'sio@cluster'].filter((s) => results.some((r) => r.server === s));
  return servers.map((s) => {
    const values = results.filter((r) => r.server === s && r.report.ok && r.report.figures?.redis)
      .map((r) => r.report.figures.redis.idle_commands_per_second);
    return `${label(s)}: ${fmt(median(values), 1)} commands/s`;
  }).join('; ');
}

function clusterGenerated(results, context) {
  const v = versions(context);
  const mc = context.machine;
  const flags = [context.args.quick ? ' --quick' : '', context.args.only ? ` --only ${context.args.only.join(',')}` : '',
    context.args.servers ? ` --servers ${context.args.servers.join(',')}` : ''].join('');
  return `${CLUSTER_BEGIN}

### Results of the last cluster run

Run \`${context.stamp}\` of \`bench/run${flags}\`: ${context.args.rounds} interleaved round(s); ${results.length} cluster runs,
${results.filter((r) => !r.report.ok).length} with faults. Machine: ${mc.cpu}, ${mc.cores} cores, Linux ${mc.kernel}, Debian ${v.debian};
redis-server ${redisVersion()}; Node.js ${v.node}; commit ${v.commit}. Other work during the measured windows: median
${fmt(interference(results).median, 2)}, max ${fmt(interference(results).max, 2)} cores. Every process of the servers' side (redis-server
and the one or two server processes) pinned to core 0, the load generator to core 1: a cluster of two gets the
one core a single node gets. A fresh redis-server per run. Redis figures are per item, less Redis's idle rate
(the nodes' heartbeats and sweeps) measured for as long before the load: ${clusterIdle(results) || 'n/a'}.

#### Targets (issue 18)

${clusterTargets(results)}

#### Relay 200 B, K=1 (100 pairs, closed loop; two nodes: the two peers of each pair on different nodes)

${clusterTable(results, 'cluster-relay-200-k1', 'message')}

#### Churn (100 pairs; two nodes: the two peers of each pair on different nodes)

An operation is a join or a leave (a pair's room costs two of each).

${clusterTable(results, 'cluster-churn', 'operation')}

#### Latency across nodes (100 pairs, open loop, 200 B, one-way)

${clusterLatency(results)}

#### Correctness faults

${faultsSection(results)}

#### Exact commands

\`$RESULTS\` is \`bench/results/<run>/\`; \`$PORT\`, \`$PORT2\` are the servers' ports, \`$PIDS\` their PIDs,
\`$REDIS_PORT\` a free port:

\`\`\`sh
${commandsSection(results, context)}
\`\`\`

${CLUSTER_END}`;
}

function redisVersion() {
  try {
    return execFileSync('redis-server', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString()
      .match(/v=(\S+)/)?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

function replaceBetween(text, begin, end, body) {
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  return start >= 0 && stop > start
    ? text.slice(0, start) + body + text.slice(stop + end.length)
    : text.trimEnd() + '\n\n' + body + '\n';
}

export function writeReport(results, context) {
  const file = path.join(context.repoDir, 'docs', 'benchmarks.md');
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : SKELETON;
  const main = results.filter((r) => !isCluster(r));
  const cluster = results.filter(isCluster);
  if (main.length > 0) text = replaceBetween(text, BEGIN, END, generated(main, context));
  if (cluster.length > 0) text = replaceBetween(text, CLUSTER_BEGIN, CLUSTER_END, clusterGenerated(cluster, context));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}
