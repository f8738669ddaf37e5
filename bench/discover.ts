/**
 * /discover latency with 1k, 10k and 100k clients online on a rollcall leader (a one-node
 * cluster on loopback), against a bare node:http server holding as many clients and serializing
 * them with JSON.stringify per request (bench/discover/reference-server.ts), in the same run.
 *
 * Presence is filled the way clients fill it: each user is registered (POST /register), then
 * sends one heartbeat (POST /heartbeat), 64 requests in flight, with client_timeout_ms long
 * enough that nobody expires during the run. Then GET /discover one at a time: a warm-up, then
 * up to `--requests` timed per size (or `--max-seconds`), p50/p90/p99 and max.
 *
 *   npm run bench:discover -- [--requests N] [--warmup N] [--max-seconds N] [--largest N]
 *
 * Measures only: there is no assertion on any number. Results go to bench/results/.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type LatencySample, discoverLatency } from './discover/latency';
import { type RollcallTimings, snapshotBuild, STEADY_TIMINGS } from './failover/rollcall';
import { Child, installCleanup, trackTempDir } from './lib/children';
import { forEachUser } from './lib/fill-users';
import { parseNumberArgs } from './lib/args';
import { startReferenceServer } from './lib/reference-server';
import { runBench } from './lib/run-bench';
import { durationLine, loadAverage, reportHeader, startBench, writeResults } from './lib/results';
import { ratio } from './lib/stats';
import { now } from './lib/time';
import { RollcallNodes } from './register/nodes';

const REPO = resolve(__dirname, '..', '..');
const PREFIX = 'dc-';
const SIZES = [1_000, 10_000, 100_000];
const TARGET_P99_MS_AT_10K = 20;

const TIMINGS: RollcallTimings & { client_timeout_ms: number } = {
  ...STEADY_TIMINGS,
  client_timeout_ms: 3_600_000,
};

const log = (line: string) => process.stdout.write(`${line}\n`);

function startReference(count: number): Promise<{ child: Child; port: number }> {
  const env = { COUNT: String(count), USER_PREFIX: PREFIX };
  return startReferenceServer(REPO, 'discover/reference-server.js', env, 30_000);
}

const fmt = (s: LatencySample) =>
  `p50 ${s.p50Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms, max ${s.maxMs.toFixed(2)} ms over ${s.requests} requests, count ${s.count}, ${(s.bytes / 1024).toFixed(0)} KiB, non-200 ${s.non200}`;

async function main(): Promise<number> {
  installCleanup();
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  const args = parseNumberArgs(
    argv,
    { requests: 300, warmup: 10, 'max-seconds': 30, largest: 100_000 },
    {
      requests: [1, 100_000],
      warmup: [0, 1000],
      'max-seconds': [1, 600],
      largest: [1_000, 100_000],
    },
    'discover',
  );
  const command = `npm run bench:discover${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const start = startBench('discover', REPO, log);
  const { startedAt, t0, loadBefore } = start;
  log(`load average at the start: ${loadBefore.join(' ')}`);

  const work = mkdtempSync(join(tmpdir(), 'discover-bench-'));
  trackTempDir(work);
  const nodes = new RollcallNodes(snapshotBuild(REPO, work), TIMINGS, join(work, 'node'), 1);
  await nodes.start();
  const leader = await nodes.waitLeader(30_000);

  const sizes = [];
  let online = 0;
  for (const size of SIZES.filter((s) => s <= args.largest)) {
    const tFill = now();
    await forEachUser(leader, '/register', PREFIX, online, size);
    await forEachUser(leader, '/heartbeat', PREFIX, online, size);
    const fillMs = now() - tFill;
    online = size;
    const load = loadAverage();
    const maxMs = args['max-seconds'] * 1000;
    const rollcall = await discoverLatency(leader, args.warmup, args.requests, maxMs);
    const ref = await startReference(size);
    const reference = await discoverLatency(ref.port, args.warmup, args.requests, maxMs);
    await ref.child.kill();
    const row = {
      online: size,
      fillMs: Math.round(fillMs),
      loadAverage: load,
      rollcall,
      reference,
      p99Ratio: ratio(rollcall.p99Ms, reference.p99Ms),
      p50Ratio: ratio(rollcall.p50Ms, reference.p50Ms),
    };
    sizes.push(row);
    log(`${size} online (filled in ${row.fillMs} ms; load average ${load.join(' ')}):`);
    log(`  rollcall  ${fmt(rollcall)}`);
    log(`  reference ${fmt(reference)}`);
    log(
      `  rollcall / reference: p50 ${row.p50Ratio?.toFixed(2)}x, p99 ${row.p99Ratio?.toFixed(2)}x`,
    );
  }
  const exited = nodes.exited();
  await nodes.stop();

  const at10k = sizes.find((s) => s.online === 10_000);
  const target = {
    what: `rollcall /discover p99 <= ${TARGET_P99_MS_AT_10K} ms with 10k online`,
    measured: at10k?.rollcall.p99Ms ?? null,
    met: at10k !== undefined && at10k.rollcall.p99Ms <= TARGET_P99_MS_AT_10K,
  };
  const durationMs = now() - t0;
  log(
    `target p99 <= ${TARGET_P99_MS_AT_10K} ms at 10k: ${target.measured?.toFixed(2) ?? '-'} ms, ${target.met ? 'met' : 'NOT met'}`,
  );
  log(durationLine(durationMs, loadBefore));
  const file = writeResults(REPO, 'discover', startedAt, {
    ...reportHeader('discover', start, durationMs),
    command,
    settings: {
      ...args,
      rollcall: TIMINGS,
      cluster: 1,
      fill: 'POST /register then POST /heartbeat per user, 64 in flight',
      sampling: 'GET /discover one at a time, one keep-alive connection',
    },
    sizes,
    target,
    nodesExited: exited,
  });
  log(`results: ${file}`);
  return exited.length > 0 ? 1 : 0;
}

runBench('discover', main);
