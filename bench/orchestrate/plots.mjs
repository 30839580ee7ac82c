// The plots of docs/benchmarks.md, drawn by gnuplot (Debian's gnuplot-nox)
// as SVG into bench/plots/: one-way p99 latency against offered load, and
// relay throughput by message size.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SERVERS } from './servers.mjs';
import { median } from './stats.mjs';

const LATENCY_SERVERS = ['parley', 'epoll', 'beast', 'ws'];
const SIZE_SERVERS = ['parley', 'beast', 'epoll', 'ws', 'sio'];
const SIZE_RUNS = { 200: 'relay-200-k1', 1024: 'curve-size-1024', 4096: 'relay-4k-k1', 16384: 'curve-size-16384' };

function hasGnuplot() {
  return spawnSync('gnuplot', ['--version']).status === 0;
}

function medianBy(runs, figure) {
  return median(runs.filter((r) => r.report.ok).map((r) => figure(r.report.figures ?? {})));
}

function latencySeries(results, server) {
  const runs = results.filter((r) => r.server === server && r.mode === 'latency' &&
    (r.id.startsWith('curve-latency') || r.id === 'latency-parley50'));
  const rates = [...new Set(runs.map((r) => r.rate))].sort((a, b) => a - b);
  return rates.map((rate) => {
    const at = runs.filter((r) => r.rate === rate);
    return [rate, medianBy(at, (f) => f.latency_us?.p50), medianBy(at, (f) => f.latency_us?.p99)];
  }).filter(([, p50, p99]) => Number.isFinite(p50) && Number.isFinite(p99));
}

function sizeSeries(results, server) {
  return Object.entries(SIZE_RUNS).map(([size, id]) => {
    const runs = results.filter((r) => r.server === server && r.id === id);
    return [Number(size), medianBy(runs, (f) => f.per_second)];
  }).filter(([, rate]) => Number.isFinite(rate));
}

function writeData(dir, name, rows) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, rows.map((r) => r.join(' ')).join('\n') + '\n');
  return file;
}

export function writePlots(results, { benchDir, workDir }) {
  const out = path.join(benchDir, 'plots');
  fs.mkdirSync(out, { recursive: true });
  if (!hasGnuplot()) {
    console.log('gnuplot not found (scripts/install-deps installs gnuplot-nox): no plots drawn');
    return [];
  }
  const plots = [];

  const latencyLines = [];
  for (const server of LATENCY_SERVERS) {
    const rows = latencySeries(results, server);
    if (rows.length === 0) continue;
    const file = writeData(workDir, `latency-${server}.dat`, rows);
    latencyLines.push(`'${file}' using 1:3 with linespoints title '${SERVERS[server].label} p99'`);
    latencyLines.push(`'${file}' using 1:2 with linespoints dashtype 2 title '${SERVERS[server].label} p50'`);
  }
  if (latencyLines.length) {
    const svg = path.join(out, 'latency.svg');
    gnuplot(workDir, 'latency.gp', [
      `set terminal svg size 900,560 dynamic font 'sans,12'`,
      `set output '${svg}'`,
      `set title 'One-way latency (sender -> server -> receiver), 200 B, 100 pairs, open loop'`,
      `set xlabel 'offered load (messages/s)'`, `set ylabel 'latency (microseconds)'`,
      `set logscale y`, `set grid`, `set key top left`,
      `plot ${latencyLines.join(', ')}`,
    ]);
    plots.push({ file: svg, title: 'One-way latency percentiles against offered load' });
  }

  const sizeLines = [];
  for (const server of SIZE_SERVERS) {
    const rows = sizeSeries(results, server);
    if (rows.length === 0) continue;
    const file = writeData(workDir, `size-${server}.dat`, rows);
    sizeLines.push(`'${file}' using 1:2 with linespoints title '${SERVERS[server].label}'`);
  }
  if (sizeLines.length) {
    const svg = path.join(out, 'throughput-by-size.svg');
    gnuplot(workDir, 'sizes.gp', [
      `set terminal svg size 900,560 dynamic font 'sans,12'`,
      `set output '${svg}'`,
      `set title 'Relay throughput by message size (100 pairs, closed loop, K=1)'`,
      `set xlabel 'message size (bytes)'`, `set ylabel 'relayed messages/s'`,
      `set logscale x 2`, `set xrange [150:22000]`, `set xtics (200, 1024, 4096, 16384)`, `set yrange [0:*]`,
      `set grid`,
      `set key top right`,
      `plot ${sizeLines.join(', ')}`,
    ]);
    plots.push({ file: svg, title: 'Relay throughput by message size' });
  }
  return plots;
}

function gnuplot(dir, name, lines) {
  const script = path.join(dir, name);
  fs.writeFileSync(script, lines.join('\n') + '\n');
  execFileSync('gnuplot', [script], { stdio: ['ignore', 'ignore', 'inherit'] });
}
