import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { NodeLoad } from './consensus';
import type { LoadSampler } from './election-io';

/** The counters a sample is a difference of; the real ones in production, fakes in tests. */
export interface CpuSources {
  /** Since boot, summed over all cores, ms: idle time and all time; and how many cores. */
  machineTimes(): { idle: number; total: number; cores: number };
  /** CPU time this process has used since it started, user plus system, µs. */
  processMicros(): number;
  /** A monotonic clock, ms. */
  wallMs(): number;
}

export const SYSTEM_CPU_SOURCES: CpuSources = {
  machineTimes() {
    let idle = 0;
    let total = 0;
    const all = cpus();
    for (const c of all) {
      const t = c.times;
      idle += t.idle;
      total += t.user + t.nice + t.sys + t.idle + t.irq;
    }
    return { idle, total, cores: all.length };
  },
  processMicros() {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  },
  wallMs: () => performance.now(),
};

interface Reading {
  idle: number;
  total: number;
  processMicros: number;
  wallMs: number;
}

const clampPct = (v: number) => Math.min(100, Math.max(0, v));

/**
 * This node's load over the last sampling period, in percent of all cores: the machine's (as the
 * seed measures it) and its background, the machine's minus this process's own share. An
 * operator can pin the machine's figure with a file named by CPU_LOAD_FILE, e.g. to drain
 * leadership away from a node, and tests use it to give each node a different load; the own
 * share is subtracted from it the same way.
 */
export class CpuSampler implements LoadSampler {
  private last: Reading;
  private value: NodeLoad = { machine: 0, background: 0 };
  private ownShare = 0;

  constructor(
    private readonly overrideFile: string | null,
    private readonly sources: CpuSources = SYSTEM_CPU_SOURCES,
  ) {
    this.last = this.read().reading;
  }

  /** Takes a new sample, over the time since the previous one, and returns it. */
  sample(): NodeLoad {
    const pinned = this.readOverride();
    const { reading: now, cores } = this.read();
    const last = this.last;
    this.last = now;
    const dTotal = now.total - last.total;
    const measured =
      dTotal > 0 ? clampPct((100 * (dTotal - (now.idle - last.idle))) / dTotal) : null;
    const machine = pinned ?? measured ?? this.value.machine;
    const dWallMs = now.wallMs - last.wallMs;
    if (dWallMs > 0) {
      const ownMs = (now.processMicros - last.processMicros) / 1000;
      this.ownShare = clampPct((100 * ownMs) / (dWallMs * Math.max(1, cores)));
    }
    this.value = { machine, background: clampPct(machine - this.ownShare) };
    return this.value;
  }

  private read(): { reading: Reading; cores: number } {
    const { idle, total, cores } = this.sources.machineTimes();
    const reading = {
      idle,
      total,
      processMicros: this.sources.processMicros(),
      wallMs: this.sources.wallMs(),
    };
    return { reading, cores };
  }

  private readOverride(): number | null {
    if (!this.overrideFile) return null;
    try {
      const v = Number(readFileSync(this.overrideFile, 'utf8').trim());
      return Number.isFinite(v) ? clampPct(v) : null;
    } catch {
      return null;
    }
  }
}
