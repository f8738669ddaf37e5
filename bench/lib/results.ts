import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { gitInfo, machineInfo } from './machine';
import { now } from './time';

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

/** What every bench records about where and when it ran. */
export interface BenchStart {
  startedAt: Date;
  /** Monotonic start, for the duration line. */
  t0: number;
  machine: ReturnType<typeof machineInfo>;
  loadBefore: number[];
  git: ReturnType<typeof gitInfo>;
}

/** Takes a bench's starting facts and prints the machine and commit it runs on. */
export function startBench(name: string, repo: string, log: (line: string) => void): BenchStart {
  const start = {
    startedAt: new Date(),
    t0: now(),
    machine: machineInfo(),
    loadBefore: loadAverage(),
    git: gitInfo(repo),
  };
  const { machine, git } = start;
  log(
    `${name} bench: ${machine.nproc} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}`,
  );
  const dirty = git.dirtySrc.length
    ? ` (+ uncommitted src/: ${git.dirtySrc.join(', ')})`
    : ' (clean src/)';
  log(`commit ${git.commit}${dirty}`);
  return start;
}

/** The facts every bench's report opens with: which bench, when, how long, where, how busy. */
export function reportHeader(name: string, start: BenchStart, durationMs: number) {
  return {
    bench: name,
    startedAt: start.startedAt.toISOString(),
    durationMs: Math.round(durationMs),
    machine: start.machine,
    loadAverage: { before: start.loadBefore, after: loadAverage() },
    git: start.git,
  };
}
