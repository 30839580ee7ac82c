// Starting and stopping the processes of one measurement: a server pinned to
// one core (its port read from its "listening on" log line) and the load
// generator pinned to the other.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

const LISTENING = /listening on ([0-9.]+):(\d+)(?! \(admin\))/;

// Starts `argv` under `taskset -c core`; resolves with {child, pid, port, log}
// once the server logs its public port.
export async function startServer(argv, { core, env = {}, timeoutMs = 20000 }) {
  const child = spawn('taskset', ['-c', String(core), ...argv], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  const log = [];
  let pending = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" within ${timeoutMs} ms: ${argv.join(' ')}\n${log.join('\n')}`)), timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        log.push(line);
        if (log.length > 200) log.shift();
        const match = line.match(LISTENING);
        if (match && !line.includes('(admin)')) {
          clearTimeout(timer);
          resolve(Number(match[2]));
        }
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening: ${argv.join(' ')}\n${log.join('\n')}`));
    });
  });
  return { child, pid: child.pid, port, log };
}

// SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves with
// the exit code (or signal name).
export async function stopServer(server, graceMs = 8000) {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const [code, signal] = await exited;
  clearTimeout(timer);
  return code ?? signal;
}

// Runs the load generator; resolves with its JSON report (and exit status).
export async function runLoadgen(binary, args, { core, timeoutMs }) {
  const child = spawn('taskset', ['-c', String(core), binary, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
  child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  const line = stdout.trim().split('\n').pop() ?? '';
  let report;
  try {
    report = JSON.parse(line);
  } catch {
    report = { ok: false, faults: { 'no-report': 1 }, fault_examples: [`exit ${code ?? signal}: ${stderr.slice(-500)}`], figures: {} };
  }
  report.exit = code ?? signal;
  return report;
}
