// Two cores leave nothing spare: before each run, wait (within a budget) for
// other work on the machine to settle, so that the server and the generator
// get their cores. Nothing of the benchmark runs between runs, so whatever
// /proc/stat shows busy then is someone else's.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function busyAndTotal() {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

// Cores' worth of CPU in use over `ms` milliseconds.
export async function busyCores(ms = 500) {
  const a = busyAndTotal();
  await sleep(ms);
  const b = busyAndTotal();
  const cores = fs.readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l)).length;
  return b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * cores : 0;
}

export class QuietWaiter {
  constructor({ thresholdCores = 0.25, perRunSeconds = 15, budgetSeconds = 180 } = {}) {
    Object.assign(this, { thresholdCores, perRunSeconds, budgetSeconds, spentSeconds: 0 });
  }

  // Resolves with {busy, waited}: the last sample and the seconds waited.
  async settle() {
    const started = Date.now();
    let busy = await busyCores();
    while (busy > this.thresholdCores) {
      const waited = (Date.now() - started) / 1000;
      if (waited >= this.perRunSeconds || this.spentSeconds + waited >= this.budgetSeconds) break;
      await sleep(500);
      busy = await busyCores();
    }
    const waited = (Date.now() - started) / 1000;
    this.spentSeconds += waited;
    return { busy, waited };
  }
}
