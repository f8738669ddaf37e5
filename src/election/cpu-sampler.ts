import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

interface Totals {
  idle: number;
  total: number;
}

function totals(): Totals {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/**
 * CPU use of the whole machine, all cores, over the last sampling period, in percent (as the
 * seed measures it). An operator can pin the value with a file named by CPU_LOAD_FILE, e.g. to
 * drain leadership away from a node, and tests use it to give each node a different load.
 */
export class CpuSampler {
  private last = totals();
  private value = 0;

  constructor(private readonly overrideFile: string | null) {}

  /** Takes a new sample and returns it. */
  sample(): number {
    const pinned = this.readOverride();
    const now = totals();
    const dTotal = now.total - this.last.total;
    const dIdle = now.idle - this.last.idle;
    this.last = now;
    if (pinned !== null) return (this.value = pinned);
    if (dTotal > 0) this.value = Math.min(100, Math.max(0, (100 * (dTotal - dIdle)) / dTotal));
    return this.value;
  }

  private readOverride(): number | null {
    if (!this.overrideFile) return null;
    try {
      const v = Number(readFileSync(this.overrideFile, 'utf8').trim());
      return Number.isFinite(v) ? Math.min(100, Math.max(0, v)) : null;
    } catch {
      return null;
    }
  }
}
