import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

/** The load average rounded for a log line. */
export function loadAverage(): number[] {
  return loadavg().map((l) => Math.round(l * 100) / 100);
}

/** One line on how long a bench took and how busy the machine was around it. */
export function durationLine(durationMs: number, loadBefore: number[]): string {
  return `bench took ${(durationMs / 1000).toFixed(0)} s; load average before ${loadBefore.join(' ')}, after ${loadAverage().join(' ')}`;
}

/** Writes a bench's report to bench/results/<name>-<start time>.json and returns the path. */
export function writeResults(repo: string, name: string, startedAt: Date, report: unknown): string {
  const dir = join(repo, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  const file = join(dir, `${name}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
