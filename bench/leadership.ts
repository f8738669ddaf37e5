/**
 * Leader changes when the leader's machine is busier only because it leads (issue 13, part 3).
 * Three real nodes on loopback, each on a pretend machine: its CPU_LOAD_FILE is fed a
 * background set here plus its own process's real CPU (/proc/<pid>/stat), while clients send
 * heartbeats to whoever leads, so the work of serving them moves with leadership.
 *
 * - equal: every background 30. Counts leader changes over the window (issue: at most one).
 * - split: every background 70; when the window opens, one follower's drops to 5. Reports how
 *   long leadership took to move there (issue: within two leader_term_ms) and whether it stayed.
 *
 *   npm run bench:leadership -- [--seconds N] [--clients N] [--rate N]
 *
 * Measures only: no assertion on any number. CPU heavy; not part of npm test or npm run bench.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { snapshotBuild } from './failover/rollcall';
import { FLAP_TIMINGS } from './leadership/fed-cluster';
import { runScenario, SCENARIOS, type ScenarioResult } from './leadership/scenario';
import { installCleanup, removeTempDir, trackTempDir } from './lib/children';
import { parseNumberArgs } from './lib/args';
import { durationLine, reportHeader, startBench, writeResults } from './lib/results';
import { runBench } from './lib/run-bench';
import { now } from './lib/time';

const REPO = resolve(__dirname, '..', '..');
const log = (line: string) => process.stdout.write(`${line}\n`);

function summaryOf(r: ScenarioResult): string {
  const reigns = r.reigns.map((x) => `n${x.leader}@${(x.at / 1000).toFixed(1)}s`).join(' ');
  const own = `own CPU leading ${r.ownCpu.leading.toFixed(1)} / following ${r.ownCpu.following.toFixed(1)} points`;
  const hb = `heartbeats ${r.load.ok} ok, ${r.load.notLeader} x 403, ${r.load.unavailable} x 503, ${r.load.failed} failed`;
  const moved =
    r.lighter === null
      ? ''
      : `; n${r.lighter} lighter from ${(r.windowFromMs / 1000).toFixed(1)}s: led after ${r.movedAfterMs === null ? 'never' : `${r.movedAfterMs} ms`}, stayed ${r.stayed}`;
  return `${r.id}: ${r.changes} leader changes in the window${moved}\n  reigns ${reigns}\n  ${own}; ${hb}`;
}

async function main(): Promise<number> {
  installCleanup();
  const args = parseNumberArgs(
    process.argv.slice(2).filter((a) => a !== '--'),
    { seconds: 36, clients: 16, rate: 3000 },
    { seconds: [5, 300], clients: [1, 256], rate: [10, 50_000] },
    'leadership',
  );
  const start = startBench('leadership', REPO, log);
  log(`timings ${JSON.stringify(FLAP_TIMINGS)}; ${args.clients} clients, up to ${args.rate}/s`);
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-flap-build-'));
  trackTempDir(dir);
  const mainJs = snapshotBuild(REPO, dir);
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    const result = await runScenario(mainJs, scenario, args);
    log(summaryOf(result));
    results.push(result);
  }
  removeTempDir(dir);
  const durationMs = now() - start.t0;
  log(durationLine(durationMs, start.loadBefore));
  const report = { ...reportHeader('leadership', start, durationMs), args, FLAP_TIMINGS, results };
  log(`results: ${writeResults(REPO, 'leadership', start.startedAt, report)}`);
  return 0;
}

runBench('leadership', main);
