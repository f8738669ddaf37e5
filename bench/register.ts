/**
 * Registrations per second: 64 concurrent clients (keep-alive HTTP, one registration in flight
 * each, every username unique) register against the leader of a 3-node rollcall cluster on
 * loopback, where a registration is answered 200 only once a majority has it fsynced. In the same
 * run, the same clients against a single node whose peers hold only itself (no replication; it
 * still fsyncs its log) as the reference: the ratio cluster / single is the cost of safety. The
 * same cluster with CLUSTER_SECRET, and with peer mTLS and API HTTPS (certificates made at run
 * time), against the plain one: the cost of authentication and of TLS.
 *
 * Each configuration runs `--runs` times (alternating which goes first), each time on fresh data
 * directories: a warm-up, then a measured window ended by time (`--seconds`) or by count
 * (`--max` registrations answered 200). The report gives the median run by rate, with p50/p99
 * latency and every non-200 answer counted by status. After each window the bench checks that
 * every node holds as many users as were answered 200.
 *
 *   npm run bench:register -- [--seconds N] [--runs N] [--clients N] [--warmup-seconds N]
 *                              [--max N] [--only cluster|single|cluster-secret|cluster-tls] [--log-level LEVEL]
 *
 * Measures only: there is no assertion on any number. Results go to bench/results/.
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { snapshotBuild, STEADY_TIMINGS } from './failover/rollcall';
import { installCleanup, removeTempDir, trackTempDir } from './lib/children';
import { makeBenchTls } from './lib/bench-tls';
import { logLevelOrHelp, wholeNumberArg } from './lib/args';
import { probeFdatasync } from './lib/fsync-probe';
import { runBench } from './lib/run-bench';
import { durationLine, reportHeader, startBench, writeResults } from './lib/results';
import { machineBusyBetween, machineCpu, type MachineCpu, processCpuMs } from './lib/proc-cpu';
import { quantile, ratio } from './lib/stats';
import { now, sleep } from './lib/time';
import { type LoadPlan, type LoadResult, runLoad } from './register/load';
import { type NodeHealth, RollcallNodes } from './register/nodes';

const REPO = resolve(__dirname, '..', '..');
const USAGE =
  'usage: register [--seconds N] [--runs N] [--clients N] [--warmup-seconds N] [--max N] [--only cluster|single|cluster-secret|cluster-tls] [--log-level LEVEL]';
const TARGET_PER_SECOND = 2000;

const TIMINGS = STEADY_TIMINGS;

const CONFIGS = [
  { id: 'cluster', label: '3-node cluster (quorum + fsync)', size: 3, secret: false },
  { id: 'single', label: 'single node (fsync, no replication)', size: 1, secret: false },
  // The same cluster with every election frame authenticated: the price of CLUSTER_SECRET.
  { id: 'cluster-secret', label: '3-node cluster with CLUSTER_SECRET', size: 3, secret: true },
  // The same cluster with peer mTLS on the election port and HTTPS on the API: the price of TLS.
  { id: 'cluster-tls', label: '3-node cluster with peer and API TLS', size: 3, tls: true },
] as const;
const BENCH_SECRET = 'register-bench-cluster-secret';
type ConfigId = (typeof CONFIGS)[number]['id'];

interface Args {
  seconds: number;
  runs: number;
  clients: number;
  warmupSeconds: number;
  max: number;
  only: ConfigId | null;
  logLevel: string;
}

function parseArgs(argv: string[]): Args {
  const out: Args = {
    seconds: 10,
    runs: 3,
    clients: 64,
    warmupSeconds: 2,
    max: 200_000,
    only: null,
    logLevel: 'warn',
  };
  const num = (flag: string, v: string | undefined, min: number, max: number) =>
    wholeNumberArg(flag, v, [min, max], USAGE);
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--') continue;
    else if (flag === '--seconds') out.seconds = num(flag, value(), 1, 600);
    else if (flag === '--runs') out.runs = num(flag, value(), 1, 50);
    else if (flag === '--clients') out.clients = num(flag, value(), 1, 1024);
    else if (flag === '--warmup-seconds') out.warmupSeconds = num(flag, value(), 0, 60);
    else if (flag === '--max') out.max = num(flag, value(), 1, 1_000_000);
    else if (flag === '--only') {
      const v = value();
      const ids: readonly string[] = CONFIGS.map((c) => c.id);
      if (!v || !ids.includes(v)) throw new Error(`--only takes ${ids.join(', ')}\n${USAGE}`);
      out.only = v as ConfigId;
    } else out.logLevel = logLevelOrHelp(argv[i], flag, value, USAGE);
  }
  return out;
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const fmtRate = (r: number | null) => (r === null ? '-' : `${Math.round(r)}/s`);
const fmtMs = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? '-' : `${ms.toFixed(1)} ms`;
const fmtStatuses = (s: Record<string, number>) =>
  Object.keys(s).length === 0
    ? 'none'
    : Object.entries(s)
        .map(([k, v]) => `${v} x ${k}`)
        .join(', ');
const countOf = (s: Record<string, number>) => Object.values(s).reduce((a, b) => a + b, 0);

/** CPU used during the measured window: each node, the bench (the clients), and the machine. */
interface CpuShare {
  /** Per node, in cores (1.0 = one core busy the whole window). */
  nodes: (number | null)[];
  bench: number;
  machineBusy: number | null;
  machineIowait: number | null;
  /**
   * Cores busy with anything else (machine busy minus the nodes and the bench): another job on
   * the machine competing for the CPU makes every number here worse.
   */
  otherCores: number | null;
}

interface Sample {
  at: number;
  nodes: (number | null)[];
  bench: NodeJS.CpuUsage;
  machine: MachineCpu | null;
}

interface RunResult {
  config: ConfigId;
  run: number;
  ok: boolean;
  error?: string;
  leaderPort?: number;
  load?: LoadResult;
  cpu?: CpuShare | null;
  /** After the window: each node's GET / once it caught up (or when the wait gave up). */
  after?: { caughtUp: boolean; nodes: (NodeHealth | null)[]; registeredMatches200s: boolean };
  /** Warnings and errors the nodes printed (LOG_LEVEL=warn), if any. */
  nodeOutput?: Record<string, string[]>;
  durationMs: number;
}

function sample(pids: number[]): Sample {
  return {
    at: now(),
    nodes: pids.map(processCpuMs),
    bench: process.cpuUsage(),
    machine: machineCpu(),
  };
}

function cpuBetween(a: Sample | null, b: Sample | null): CpuShare | null {
  if (!a || !b || b.at <= a.at) return null;
  const span = b.at - a.at;
  const busy = machineBusyBetween(a.machine, b.machine);
  const benchUs = b.bench.user + b.bench.system - (a.bench.user + a.bench.system);
  const nodes = a.nodes.map((x, i) => {
    const y = b.nodes[i];
    return x === null || y === null || y === undefined ? null : (y - x) / span;
  });
  const bench = benchUs / 1000 / span;
  const ours = nodes.reduce<number>((sum, c) => sum + (c ?? 0), bench);
  return {
    nodes,
    bench,
    machineBusy: busy?.busy ?? null,
    machineIowait: busy?.iowait ?? null,
    otherCores: busy ? Math.max(0, busy.busy * cpus().length - ours) : null,
  };
}

/** Waits until every node has applied everything the most advanced one has committed. */
async function settle(nodes: RollcallNodes, timeoutMs: number) {
  const deadline = now() + timeoutMs;
  let hs: (NodeHealth | null)[] = [];
  for (let round = 0; round < Math.ceil(timeoutMs / 50) + 1; round++) {
    hs = await Promise.all(nodes.apiPorts.map((_, i) => nodes.health(i)));
    const commit = Math.max(...hs.map((h) => h?.commitIndex ?? 0));
    const done = hs.every(
      (h) => h !== null && h.appliedIndex === commit && h.registered === hs[0]?.registered,
    );
    if (done) return { caughtUp: true, nodes: hs };
    if (now() > deadline) break;
    await sleep(50);
  }
  return { caughtUp: false, nodes: hs };
}

async function runOne(
  mainJs: string,
  work: string,
  config: (typeof CONFIGS)[number],
  run: number,
  args: Args,
): Promise<RunResult> {
  const t0 = now();
  const dir = join(work, `run${run}-${config.id}`);
  const nodes = new RollcallNodes(mainJs, TIMINGS, dir, config.size, {
    logLevel: args.logLevel,
    secret: 'secret' in config && config.secret ? BENCH_SECRET : null,
    tls: 'tls' in config ? makeBenchTls(join(dir, 'tls')) : null,
  });
  try {
    await nodes.start();
    const leaderPort = await nodes.waitLeader(30_000);
    const plan: LoadPlan = {
      clients: args.clients,
      warmupMs: args.warmupSeconds * 1000,
      windowMs: args.seconds * 1000,
      maxRegistrations: args.max,
      requestTimeoutMs: 10_000,
      namePrefix: `r${run}`,
      ca: nodes.ca,
    };
    let first: Sample | null = null;
    let last: Sample | null = null;
    const load = await runLoad(
      plan,
      leaderPort,
      () => nodes.currentLeader(),
      (edge) => {
        if (edge === 'start') first = sample(nodes.pids);
        else last = sample(nodes.pids);
      },
    );
    const after = await settle(nodes, 15_000);
    const exited = nodes.exited();
    return {
      config: config.id,
      run,
      ok: exited.length === 0,
      error: exited.length
        ? `exited during the run: ${exited.map((e) => e.name).join(', ')}`
        : undefined,
      leaderPort,
      load,
      cpu: cpuBetween(first, last),
      after: {
        ...after,
        registeredMatches200s: after.nodes.every((h) => h?.registered === load.totalOk),
      },
      nodeOutput: nodes.tails(),
      durationMs: Math.round(now() - t0),
    };
  } catch (err) {
    return {
      config: config.id,
      run,
      ok: false,
      error: (err as Error).message,
      nodeOutput: nodes.tails(),
      durationMs: Math.round(now() - t0),
    };
  } finally {
    await nodes.stop();
    removeTempDir(dir);
  }
}

interface ConfigSummary {
  config: ConfigId;
  label: string;
  runs: number;
  failedRuns: number;
  /** Registrations/s of every run that finished, in run order. */
  rates: number[];
  medianRate: number | null;
  /** The run whose rate is the median (the lower middle one for an even count). */
  medianRun: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Non-200 answers in the median run's window, and over every run's window. */
  non200MedianRun: Record<string, number>;
  non200AllRuns: Record<string, number>;
  leaderMovesAllRuns: number;
  /** The most cores any other job took during one of this configuration's windows. */
  otherCoresMax: number | null;
}

function summarizeConfig(config: (typeof CONFIGS)[number], runs: RunResult[]): ConfigSummary {
  const done = runs.filter((r) => r.ok && r.load);
  const byRate = [...done].sort((a, b) => a.load!.perSecond - b.load!.perSecond);
  const median = byRate.length ? byRate[Math.floor((byRate.length - 1) / 2)] : null;
  const all: Record<string, number> = {};
  for (const r of done) {
    for (const [k, v] of Object.entries(r.load!.non200)) all[k] = (all[k] ?? 0) + v;
  }
  const rates = done.map((r) => r.load!.perSecond);
  return {
    config: config.id,
    label: config.label,
    runs: runs.length,
    failedRuns: runs.length - done.length,
    rates,
    medianRate: rates.length
      ? quantile(
          [...rates].sort((a, b) => a - b),
          0.5,
        )
      : null,
    medianRun: median?.run ?? null,
    p50Ms: median?.load?.latencyMs?.p50 ?? null,
    p99Ms: median?.load?.latencyMs?.p99 ?? null,
    non200MedianRun: median?.load?.non200 ?? {},
    non200AllRuns: all,
    leaderMovesAllRuns: done.reduce((a, r) => a + r.load!.leaderMoves.length, 0),
    otherCoresMax: done.reduce<number | null>(
      (m, r) => (r.cpu?.otherCores == null ? m : Math.max(m ?? 0, r.cpu.otherCores)),
      null,
    ),
  };
}

function describeRun(r: RunResult): string {
  if (!r.ok || !r.load) return `run ${r.run} ${r.config}: FAILED: ${r.error}`;
  const l = r.load;
  const cpu = r.cpu
    ? `; cpu: nodes ${r.cpu.nodes.map((c) => (c === null ? '-' : c.toFixed(2))).join('/')}, clients ${r.cpu.bench.toFixed(2)} cores, machine ${Math.round((r.cpu.machineBusy ?? 0) * 100)}% busy, ${Math.round((r.cpu.machineIowait ?? 0) * 100)}% iowait, other jobs ${r.cpu.otherCores?.toFixed(2) ?? '-'} cores`
    : '';
  const check = r.after
    ? r.after.caughtUp && r.after.registeredMatches200s
      ? `every node holds the ${l.totalOk} users answered 200`
      : `CHECK: nodes hold ${r.after.nodes.map((h) => h?.registered ?? '?').join('/')} users, ${l.totalOk} answered 200${r.after.caughtUp ? '' : ' (not caught up)'}`
    : '';
  return (
    `run ${r.run} ${r.config}: ${fmtRate(l.perSecond)} (${l.ok} in ${(l.windowMs / 1000).toFixed(1)} s, by ${l.stoppedBy}), ` +
    `p50 ${fmtMs(l.latencyMs?.p50)}, p99 ${fmtMs(l.latencyMs?.p99)}, max ${fmtMs(l.latencyMs?.max)}; ` +
    `non-200: ${fmtStatuses(l.non200)}${countOf(l.warmupNon200) ? ` (warm-up: ${fmtStatuses(l.warmupNon200)})` : ''}; ` +
    `leader moves ${l.leaderMoves.length}${cpu}; ${check}`
  );
}

async function main(): Promise<number> {
  installCleanup();
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  const args = parseArgs(argv);
  const command = `npm run bench:register${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const start = startBench('register', REPO, log);
  const { startedAt, t0, loadBefore } = start;

  log(
    `${args.clients} clients, warm-up ${args.warmupSeconds} s, window ${args.seconds} s or ${args.max} registrations, ${args.runs} runs per configuration`,
  );

  if (loadBefore[0] > 0.5) {
    log(
      `note: load average ${loadBefore[0]} before the start: if another job is running, it competes for the CPU`,
    );
  }

  const work = mkdtempSync(join(tmpdir(), 'register-bench-'));
  trackTempDir(work);
  const mainJs = snapshotBuild(REPO, work);

  const fsync = probeFdatasync(work, 2000);
  log(
    `bare append + fdatasync loop on ${work}: ${Math.round(fsync.perSecond)}/s, p50 ${fmtMs(fsync.p50Ms)}, p99 ${fmtMs(fsync.p99Ms)}`,
  );

  const configs = CONFIGS.filter((c) => args.only === null || c.id === args.only);
  const results: RunResult[] = [];
  for (let run = 1; run <= args.runs; run++) {
    // Alternate which configuration goes first, so that neither always gets the warmer machine.
    const order = run % 2 === 1 ? configs : [...configs].reverse();
    for (const config of order) {
      const r = await runOne(mainJs, work, config, run, args);
      results.push(r);
      log(describeRun(r));
      for (const [name, lines] of Object.entries(r.nodeOutput ?? {})) {
        log(`  ${name} printed ${lines.length} lines, last: ${lines.at(-1)}`);
      }
    }
  }

  const summaries = Object.fromEntries(
    configs.map((c) => [
      c.id,
      summarizeConfig(
        c,
        results.filter((r) => r.config === c.id),
      ),
    ]),
  ) as Partial<Record<ConfigId, ConfigSummary>>;
  const costOfSafety = ratio(
    summaries.cluster?.medianRate ?? null,
    summaries.single?.medianRate ?? null,
  );
  const costOfAuth = ratio(
    summaries['cluster-secret']?.medianRate ?? null,
    summaries.cluster?.medianRate ?? null,
  );
  const costOfTls = ratio(
    summaries['cluster-tls']?.medianRate ?? null,
    summaries.cluster?.medianRate ?? null,
  );
  const clusterRate = summaries.cluster?.medianRate ?? null;
  const target = {
    what: 'cluster registrations/s (median run)',
    min: TARGET_PER_SECOND,
    measured: clusterRate,
    met: clusterRate !== null && clusterRate >= TARGET_PER_SECOND,
  };

  const durationMs = now() - t0;
  log('');
  log(
    '| configuration | runs | median rate | p50 | p99 | non-200 (median run) | non-200 (all runs) |',
  );
  log('|---|---:|---:|---:|---:|---|---|');
  for (const s of Object.values(summaries)) {
    log(
      `| ${s.label} | ${s.runs - s.failedRuns}/${s.runs} | ${fmtRate(s.medianRate)} | ${fmtMs(s.p50Ms)} | ${fmtMs(s.p99Ms)} | ${fmtStatuses(s.non200MedianRun)} | ${fmtStatuses(s.non200AllRuns)} |`,
    );
  }
  log('');
  log(
    `cost of safety (cluster / single, median rates): ${costOfSafety === null ? '-' : `${costOfSafety.toFixed(2)}x`}`,
  );
  log(
    `cost of authentication (with CLUSTER_SECRET / without, median rates): ${costOfAuth === null ? '-' : `${costOfAuth.toFixed(2)}x`}`,
  );
  log(
    `cost of TLS (with peer and API TLS / without, median rates): ${costOfTls === null ? '-' : `${costOfTls.toFixed(2)}x`}`,
  );
  if (summaries.cluster) {
    log(
      `target >= ${TARGET_PER_SECOND}/s on the cluster: ${fmtRate(clusterRate)}, ${target.met ? 'met' : 'NOT met'}`,
    );
  }
  log(durationLine(durationMs, loadBefore));

  const report = {
    ...reportHeader('register', start, durationMs),
    command,
    argv,
    settings: {
      ...args,
      rollcall: TIMINGS,
      rollcallLogLevel: args.logLevel,
      configurations: configs,
      order: 'odd runs in the order of configurations, even runs reversed',
    },
    fsyncProbe: fsync,
    summaries,
    costOfSafety,
    costOfAuth,
    costOfTls,
    target,
    runs: results,
  };
  const file = writeResults(REPO, 'register', startedAt, report);
  log(`results: ${file}`);
  return results.some((r) => !r.ok) ? 1 : 0;
}

runBench('register', main);
