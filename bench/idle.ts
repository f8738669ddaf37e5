/**
 * What an idle cluster costs: a 3-node rollcall cluster with nobody heartbeating (the bench's 50 ms
 * heartbeat interval, follower_heartbeats on), against the floor (bench/heartbeat/majority-
 * reference.ts: a leader that sends its two followers an empty round every 50 ms, which they
 * acknowledge, and nothing else), both running through the same window. For each process: CPU
 * seconds per second (/proc/<pid>/stat) and wake-ups per second of its main thread (voluntary
 * context switches: an idle Node process sleeps in the event loop's poll). On a small VM each
 * wake-up costs about as much CPU as the work it wakes for, so the two move together.
 *
 *   npm run bench:idle -- [--seconds N] [--rounds N]
 *
 * Measures only: no assertion on any number. Results go to bench/results/.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { snapshotBuild } from './failover/rollcall';
import { startFloor } from './heartbeat/floor';
import { HEARTBEAT_TIMINGS } from './heartbeat/timings';
import { parseNumberArgs } from './lib/args';
import { installCleanup, removeTempDir, trackTempDir } from './lib/children';
import { processCpuMs } from './lib/proc-cpu';
import { mainThreadWakeups } from './lib/proc-wakes';
import { durationLine, reportHeader, startBench, writeResults } from './lib/results';
import { runBench } from './lib/run-bench';
import { quantile, ratio } from './lib/stats';
import { now, sleep } from './lib/time';
import { RollcallNodes } from './register/nodes';

const REPO = resolve(__dirname, '..', '..');
/** After the leader is up: the first presence rounds and log writes are not idleness. */
const SETTLE_MS = 5_000;
const log = (line: string) => process.stdout.write(`${line}\n`);

/** One process's idle cost over a window. */
interface IdleCost {
  role: string;
  cpuSecondsPerSecond: number;
  wakeupsPerSecond: number;
}

/** Reads every process's CPU and wake-ups around the same `seconds`. */
async function measureTogether(
  processes: { role: string; pid: number }[],
  seconds: number,
): Promise<IdleCost[]> {
  const read = () => processes.map((p) => [processCpuMs(p.pid), mainThreadWakeups(p.pid)]);
  const before = read();
  const t = now();
  await sleep(seconds * 1000);
  const after = read();
  const elapsed = (now() - t) / 1000;
  return processes.map(({ role }, i) => ({
    role,
    cpuSecondsPerSecond: ((after[i][0] ?? NaN) - (before[i][0] ?? NaN)) / 1000 / elapsed,
    wakeupsPerSecond: ((after[i][1] ?? NaN) - (before[i][1] ?? NaN)) / elapsed,
  }));
}

const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

const describe = (c: IdleCost) =>
  `${c.role}: ${c.cpuSecondsPerSecond.toFixed(4)} CPU s/s, ${Math.round(c.wakeupsPerSecond)} wake-ups/s`;

async function main(): Promise<number> {
  installCleanup();
  const args = parseNumberArgs(
    process.argv.slice(2).filter((a) => a !== '--'),
    { seconds: 20, rounds: 3 },
    { seconds: [2, 600], rounds: [1, 20] },
    'idle',
  );
  const start = startBench('idle', REPO, log);
  const work = mkdtempSync(join(tmpdir(), 'idle-bench-'));
  trackTempDir(work);
  const nodes = new RollcallNodes(
    snapshotBuild(REPO, work),
    HEARTBEAT_TIMINGS,
    join(work, 'cluster'),
    3,
    { extraToml: ['follower_heartbeats = true'] },
  );
  await nodes.start();
  const leaderPort = await nodes.waitLeader(30_000);
  const floor = await startFloor(REPO, 1, 'idle-');
  await sleep(SETTLE_MS);
  const leaderAt = nodes.apiPorts.indexOf(leaderPort);
  const processes = [
    ...nodes.pids.map((pid, i) => ({ role: i === leaderAt ? 'leader' : 'follower', pid })),
    { role: 'floor leader', pid: floor.leaderPid },
    ...floor.followerPids.map((pid) => ({ role: 'floor follower', pid })),
  ];
  const rounds: IdleCost[][] = [];
  for (let round = 1; round <= args.rounds; round++) {
    const costs = await measureTogether(processes, args.seconds);
    rounds.push(costs);
    log(`round ${round}: ${costs.map(describe).join('; ')}`);
  }
  const byRole = (role: string, key: keyof Omit<IdleCost, 'role'>) =>
    median(rounds.flatMap((r) => r.filter((c) => c.role === role).map((c) => c[key])));
  const summary = Object.fromEntries(
    ['leader', 'follower', 'floor leader', 'floor follower'].map((role) => [
      role,
      {
        cpuSecondsPerSecond: byRole(role, 'cpuSecondsPerSecond'),
        wakeupsPerSecond: byRole(role, 'wakeupsPerSecond'),
      },
    ]),
  );
  const leaderVsFloor = {
    cpu: ratio(summary.leader.cpuSecondsPerSecond, summary['floor leader'].cpuSecondsPerSecond),
    wakeups: ratio(summary.leader.wakeupsPerSecond, summary['floor leader'].wakeupsPerSecond),
  };
  log(
    `medians: ${Object.entries(summary)
      .map(([role, c]) => describe({ role, ...c }))
      .join('; ')}`,
  );
  log(
    `leader / floor leader: CPU ${leaderVsFloor.cpu?.toFixed(2)}x, wake-ups ${leaderVsFloor.wakeups?.toFixed(2)}x`,
  );
  const leaderStayed = (await nodes.currentLeader()) === leaderPort;
  if (!leaderStayed) log('the leader moved during the run: its figures mix two roles');
  const nodesExited = nodes.exited();
  for (const { name, tail } of nodesExited)
    log(`${name} exited during the run:\n${tail.join('\n')}`);
  const exitedEarly = await floor.stop();
  await nodes.stop();
  removeTempDir(work);
  const durationMs = now() - start.t0;
  log(durationLine(durationMs, start.loadBefore));
  const report = {
    ...reportHeader('idle', start, durationMs),
    args,
    timings: HEARTBEAT_TIMINGS,
    rounds,
    summary,
    leaderVsFloor,
    leaderStayed,
    floorExitedEarly: exitedEarly,
    nodesExited: nodesExited.map((n) => n.name),
  };
  log(`results: ${writeResults(REPO, 'idle', start.startedAt, report)}`);
  return leaderStayed && exitedEarly.length === 0 && nodesExited.length === 0 ? 0 : 1;
}

runBench('idle', main);
