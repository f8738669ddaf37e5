import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { quantile } from './stats';
import { now } from './time';

export interface FsyncProbe {
  /** Where the file was (the same filesystem as the data under test). */
  dir: string;
  recordBytes: number;
  durationMs: number;
  syncs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * A bare loop of append + fdatasync on one file in `dir`, one at a time, for `ms`: how many
 * fsyncs per second this disk does with nothing else around them. Synchronous: run it alone.
 */
export function probeFdatasync(dir: string, ms = 2000, recordBytes = 256): FsyncProbe {
  const file = join(dir, 'fsync-probe.bin');
  const fd = openSync(file, 'a');
  const record = Buffer.alloc(recordBytes, 0x61);
  const lat: number[] = [];
  const t0 = now();
  try {
    // Bounded by count as well as time, in case a disk acknowledges without waiting.
    while (now() - t0 < ms && lat.length < 1_000_000) {
      const t = now();
      writeSync(fd, record);
      fdatasyncSync(fd);
      lat.push(now() - t);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  const durationMs = now() - t0;
  const sorted = lat.sort((a, b) => a - b);
  return {
    dir,
    recordBytes,
    durationMs: Math.round(durationMs),
    syncs: sorted.length,
    perSecond: (sorted.length * 1000) / durationMs,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1],
  };
}
