/**
 * Heartbeats per second on the leader of a rollcall cluster on loopback (3 nodes, or `--nodes N`
 * for every cluster of the run), against a bare node:http server doing the same work
 * (bench/heartbeat/reference-server.ts), in the same run.
 * Both hold the same `--users` users and get the same wrk load: heartbeats in rotation over all
 * of them (bench/heartbeat/rotate.lua), `--connections` keep-alive connections on `--threads`
 * wrk threads, a warm-up, then `--seconds` measured. `--rounds` rounds alternate which goes
 * first; the report gives the median round of each, the ratio, p50/p99 and every non-2xx, and
 * the serving process's CPU seconds per 100,000 answers (the leader's, the reference's), which
 * moves less with the machine's other load than the rates do, and the whole machine's CPU per
 * 100,000 answers with the share of its cores busy: with the cores saturated, the rates' ratio
 * follows the inverse of the machines' CPU per answer. It also gives rollcall / reference
 * taken within each round (median, least and greatest; bench/heartbeat/paired.ts) and how far the
 * reference's own rate moved between rounds: on this VM class the machine's speed drifts between
 * rounds by more than any margin on the ratio (docs/BENCHMARKS.md, "How fast the machine itself
 * is"). The follower series gives its ratio within each round too.
 *
 *   npm run bench:heartbeat -- [--users N] [--seconds N] [--warmup-seconds N] [--rounds N]
 *                              [--connections N] [--threads N] [--statuses 1] [--baseline DIR]
 *                              [--followers 1] [--tls 1] [--floor 1] [--nodes N]
 *
 * `--baseline DIR` also runs a second cluster from another build (DIR/dist/main.js, e.g.
 * a worktree of an earlier commit after `npm run build`), in the same rounds: the cost of a
 * change, before against after, in one run. With many `--users`, each user's heartbeats are
 * seconds apart, as real clients' are (a refresh then waits for the followers, see docs/election.md).
 *
 * `--followers 1` turns follower_heartbeats on in the cluster and adds a series: the same wrk load
 * sent to the leader, then split over the two followers (bench/heartbeat/followers.ts), in the
 * same rounds, reporting the cluster's rate and the leader's CPU seconds per 100,000 heartbeats
 * (from /proc/<pid>/stat) in each: what the leader still pays when followers take heartbeats.
 *
 * `--tls 1` also runs a cluster of the same build with peer mTLS and API HTTPS (a CA and
 * certificate made at run time, bench/lib/bench-tls.ts), in the same rounds, with wrk speaking
 * HTTPS to its leader: the cost of TLS as the ratio of the two clusters' median rounds. wrk's own
 * TLS work shares the machine's cores, so this is the cost to the whole machine, not the node.
 *
 * `--floor 1` adds a second reference to the same rounds, the floor: the least a heartbeat that
 * waits for a majority of three can cost (bench/heartbeat/majority-reference.ts, a node:http leader
 * doing the reference's work and answering once one of two followers has acknowledged a round that
 * carried the heartbeat; nothing else of a protocol). The report gives floor / reference (what
 * waiting for a majority costs at the least) and rollcall / floor (what rollcall's protocol, Nest,
 * Fastify and the rest of its work cost beyond it), and the CPU per 100,000 heartbeats of the
 * floor's leader and of its two followers. With `--followers 1` the floor's followers take
 * heartbeats too (forwarded to its leader, answered once it holds them), and the follower series
 * runs on the floor beside rollcall's: the ratio the least implementation reaches on this machine.
 * With `--baseline DIR` and `--followers 1` the baseline's cluster takes follower heartbeats too
 * and runs the series as well: the change's cost on the follower path, as this build / baseline.
 * The series take turns within each round, so none always gets the warmer machine.
 *
 * `--statuses 1` counts the answers by status (bench/heartbeat/rotate-statuses.lua) to tell what
 * the non-2xx were; wrk then runs a Lua callback per answer, so use it to diagnose, not to measure.
 *
 * Needs wrk (installed with apt-get when missing and run as root). Measures only: there is no
 * assertion on any number. Results go to bench/results/.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { snapshotBuild } from './failover/rollcall';
import {
  type FollowerRound,
  type FollowerSeriesSetup,
  runFollowerSeries,
} from './heartbeat/followers';
import { type Floor, startFloor } from './heartbeat/floor';
import { pairedLine, pairedRatios, spreadOf } from './heartbeat/paired';
import { HEARTBEAT_TIMINGS } from './heartbeat/timings';
import { Child, installCleanup, trackTempDir } from './lib/children';
import { forEachUser } from './lib/fill-users';
import { parseNumberArgs } from './lib/args';
import { machineBusyBetween, machineCpu, processCpuMs } from './lib/proc-cpu';
import { startReferenceServer } from './lib/reference-server';
import { runBench } from './lib/run-bench';
import { durationLine, loadAverage, reportHeader, startBench, writeResults } from './lib/results';
import { quantile, ratio } from './lib/stats';
import { now } from './lib/time';
import { ensureWrk, runWrk, type WrkPlan, type WrkResult } from './lib/wrk';
import { RollcallNodes } from './register/nodes';
import { makeBenchTls } from './lib/bench-tls';

const REPO = resolve(__dirname, '..', '..');
const LUA = join(REPO, 'bench', 'heartbeat', 'rotate.lua');
const LUA_STATUSES = join(REPO, 'bench', 'heartbeat', 'rotate-statuses.lua');
const PREFIX = 'hb-';
/** Issue 17.1's bar (issue 6 had set 0.5). */
const TARGET_RATIO = 0.65;
const DEFAULTS = {
  users: 2000,
  seconds: 10,
  'warmup-seconds': 3,
  rounds: 2,
  connections: 64,
  threads: 2,
  statuses: 0,
  followers: 0,
  tls: 0,
  floor: 0,
  nodes: 3,
};
const LIMITS = {
  users: [1, 200_000],
  seconds: [1, 300],
  'warmup-seconds': [0, 60],
  rounds: [1, 20],
  connections: [1, 1024],
  threads: [1, 16],
  statuses: [0, 1],
  followers: [0, 1],
  tls: [0, 1],
  floor: [0, 1],
  nodes: [1, 5],
} as const;

const log = (line: string) => process.stdout.write(`${line}\n`);

type Target = 'rollcall' | 'baseline' | 'rollcall-tls' | 'reference' | 'floor';

interface Round {
  round: number;
  target: Target;
  loadAverage: number[];
  wrk: WrkResult;
  /** CPU seconds the serving process (a leader, or the reference) used per 100,000 answers. */
  serverCpuSecondsPer100k: number;
  /** In the floor's rounds: the same for its two followers together. */
  floorFollowersCpuSecondsPer100k?: number;
  /**
   * CPU seconds the whole machine used per 100,000 answers (every process: the serving ones, wrk,
   * the idle clusters of the other targets), and the share of its cores that were busy.
   */
  machineCpuSecondsPer100k: number;
  machineBusy: number;
  /** The share of the machine's cores the hypervisor gave to others while they had work. */
  machineStolen: number;
}

function startReference(users: number): Promise<{ child: Child; port: number }> {
  const env = { USERS: String(users), USER_PREFIX: PREFIX };
  return startReferenceServer(REPO, 'heartbeat/reference-server.js', env, 10_000);
}

/** Takes `--baseline DIR` out of argv: the other flags are all numbers. */
function takeBaseline(argv: string[]): string | null {
  const at = argv.findIndex((a) => a === '--baseline' || a.startsWith('--baseline='));
  if (at < 0) return null;
  const [, inline] = argv[at].split(/=(.*)/s, 2);
  const dir = inline ?? argv[at + 1];
  argv.splice(at, inline === undefined ? 2 : 1);
  if (!dir)
    throw new Error('--baseline needs the directory of a built rollcall (DIR/dist/main.js)');
  return resolve(dir);
}

function median(rounds: Round[], target: Target): Round | null {
  const mine = rounds.filter((r) => r.target === target);
  if (mine.length === 0) return null;
  const m = quantile(
    mine.map((r) => r.wrk.perSecond).sort((a, b) => a - b),
    0.5,
  );
  return mine.reduce((best, r) =>
    Math.abs(r.wrk.perSecond - m) < Math.abs(best.wrk.perSecond - m) ? r : best,
  );
}

const describe = (r: Round) =>
  `round ${r.round} ${r.target}: ${Math.round(r.wrk.perSecond)}/s, p50 ${r.wrk.latencyMs.p50.toFixed(2)} ms, p99 ${r.wrk.latencyMs.p99.toFixed(2)} ms, non-2xx ${r.wrk.non2xx}, server CPU ${r.serverCpuSecondsPer100k.toFixed(2)} s/100k${r.floorFollowersCpuSecondsPer100k === undefined ? '' : ` (its followers ${r.floorFollowersCpuSecondsPer100k.toFixed(2)} s/100k)`}, machine CPU ${r.machineCpuSecondsPer100k.toFixed(2)} s/100k (${Math.round(r.machineBusy * 100)}% busy, ${Math.round(r.machineStolen * 100)}% stolen), socket errors ${JSON.stringify(r.wrk.socketErrors)}${r.wrk.statuses ? `, by status ${JSON.stringify(r.wrk.statuses)}` : ''} (load average ${r.loadAverage.join(' ')})`;

const per100k = (cpuMs: number, answers: number) => (cpuMs / 1000 / Math.max(1, answers)) * 100_000;

/**
 * One round of `target`: a warm-up, then the measured wrk run with the serving process's CPU (and
 * the floor followers', when given) read around it.
 */
async function measureRound(
  round: number,
  target: Target,
  plan: (seconds: number) => WrkPlan,
  seconds: { warmup: number; measured: number },
  cpu: { serverPid: number; floorFollowersCpuMs?: () => number },
): Promise<Round> {
  if (seconds.warmup > 0) await runWrk(plan(seconds.warmup));
  const load = loadAverage();
  const cpuBefore = processCpuMs(cpu.serverPid) ?? NaN;
  const followersBefore = cpu.floorFollowersCpuMs?.() ?? NaN;
  const machineBefore = machineCpu();
  const wrk = await runWrk(plan(seconds.measured));
  const machineAfter = machineCpu();
  const cpuMs = (processCpuMs(cpu.serverPid) ?? NaN) - cpuBefore;
  const machine = machineBusyBetween(machineBefore, machineAfter);
  const r: Round = {
    round,
    target,
    loadAverage: load,
    wrk,
    serverCpuSecondsPer100k: per100k(cpuMs, wrk.requests),
    machineCpuSecondsPer100k: per100k(machine?.busyMs ?? NaN, wrk.requests),
    machineBusy: machine?.busy ?? NaN,
    machineStolen: machine?.steal ?? NaN,
  };
  if (cpu.floorFollowersCpuMs) {
    const followersMs = cpu.floorFollowersCpuMs() - followersBefore;
    r.floorFollowersCpuSecondsPer100k = per100k(followersMs, wrk.requests);
  }
  return r;
}

/** Starts a cluster, registers the users on its leader, and returns the leader's API port. */
async function startCluster(nodes: RollcallNodes, users: number): Promise<number> {
  await nodes.start();
  const leader = await nodes.waitLeader(30_000);
  const t = now();
  await forEachUser(leader, '/register', PREFIX, 0, users, 64, nodes.ca);
  log(`${users} users registered on the leader in ${Math.round(now() - t)} ms`);
  return leader;
}

async function main(): Promise<number> {
  installCleanup();
  const argv = process.argv.slice(2).filter((a) => a !== '--');
  const command = `npm run bench:heartbeat${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const baselineDir = takeBaseline(argv);
  const args = parseNumberArgs(argv, DEFAULTS, LIMITS, 'heartbeat');
  if (args.followers && args.nodes < 3) {
    throw new Error('--followers 1 needs --nodes 3 or more: heartbeats go to two followers');
  }
  const start = startBench('heartbeat', REPO, log);
  const { startedAt, t0, loadBefore } = start;
  log(`load average at the start: ${loadBefore.join(' ')}`);
  const noWrk = ensureWrk(log);
  if (noWrk) throw new Error(`${noWrk}: install wrk (apt-get install -y wrk) and rerun`);

  const work = mkdtempSync(join(tmpdir(), 'heartbeat-bench-'));
  trackTempDir(work);
  const mainJs = snapshotBuild(REPO, work);
  const extraToml = args.followers ? ['follower_heartbeats = true'] : [];
  const nodes = new RollcallNodes(mainJs, HEARTBEAT_TIMINGS, join(work, 'cluster'), args.nodes, {
    extraToml,
  });
  const leader = await startCluster(nodes, args.users);
  let tls: { nodes: RollcallNodes; leader: number } | null = null;
  if (args.tls) {
    const dir = join(work, 'tls-cluster');
    const tlsNodes = new RollcallNodes(mainJs, HEARTBEAT_TIMINGS, dir, args.nodes, {
      extraToml,
      tls: makeBenchTls(join(dir, 'certs')),
    });
    tls = { nodes: tlsNodes, leader: await startCluster(tlsNodes, args.users) };
  }
  let baseline: { nodes: RollcallNodes; leader: number } | null = null;
  if (baselineDir) {
    const build = snapshotBuild(baselineDir, join(work, 'baseline'), REPO);
    const other = new RollcallNodes(
      build,
      HEARTBEAT_TIMINGS,
      join(work, 'baseline-cluster'),
      args.nodes,
      {
        extraToml,
      },
    );
    baseline = { nodes: other, leader: await startCluster(other, args.users) };
    log(`baseline: ${baselineDir}`);
  }
  const ref = await startReference(args.users);
  const floor: Floor | null = args.floor ? await startFloor(REPO, args.users, PREFIX) : null;

  const wrkPlan = (port: number, seconds: number, scheme = 'http') => ({
    url: `${scheme}://127.0.0.1:${port}/heartbeat`,
    script: args.statuses ? LUA_STATUSES : LUA,
    scriptArgs: [PREFIX, String(args.users)],
    threads: args.threads,
    connections: args.connections,
    seconds,
  });
  /** `part` of the load (its connections and threads) to `port`, for the follower series. */
  const share = (port: number, seconds: number, part: number) => {
    const p = wrkPlan(port, seconds);
    return {
      ...p,
      threads: Math.max(1, Math.round(p.threads * part)),
      connections: Math.max(1, Math.round(p.connections * part)),
    };
  };
  const rounds: Round[] = [];
  const targets: Target[] = [
    'rollcall',
    ...(baseline ? (['baseline'] as const) : []),
    ...(tls ? (['rollcall-tls'] as const) : []),
    'reference',
    ...(floor ? (['floor'] as const) : []),
  ];
  const portOf = {
    rollcall: leader,
    baseline: baseline?.leader ?? 0,
    'rollcall-tls': tls?.leader ?? 0,
    reference: ref.port,
    floor: floor?.port ?? 0,
  };
  const leaderPid = (cluster: RollcallNodes, port: number) =>
    cluster.pids[cluster.apiPorts.indexOf(port)];
  const pidOf = {
    rollcall: leaderPid(nodes, leader),
    baseline: baseline ? leaderPid(baseline.nodes, baseline.leader) : 0,
    'rollcall-tls': tls ? leaderPid(tls.nodes, tls.leader) : 0,
    reference: ref.child.pid,
    floor: floor?.leaderPid ?? 0,
  };
  for (let round = 1; round <= args.rounds; round++) {
    // Rotate which goes first, so that none always gets the warmer (or quieter) machine.
    const order = targets.map((_, k) => targets[(k + round - 1) % targets.length]);
    for (const target of order) {
      // wrk speaks TLS but does not verify the certificate: the nodes' own CA is the bench's.
      const scheme = target === 'rollcall-tls' ? 'https' : 'http';
      const plan = (seconds: number) => wrkPlan(portOf[target], seconds, scheme);
      const seconds = { warmup: args['warmup-seconds'], measured: args.seconds };
      const floorFollowersCpuMs = target === 'floor' ? floor?.followersCpuMs : undefined;
      const cpu = { serverPid: pidOf[target], floorFollowersCpuMs };
      const r = await measureRound(round, target, plan, seconds, cpu);
      rounds.push(r);
      log(describe(r));
    }
  }
  const settings = {
    rounds: args.rounds,
    seconds: args.seconds,
    warmupSeconds: args['warmup-seconds'],
  };
  // Leadership may have moved in the rounds above (a lease lapsing on a busy machine): each
  // series measures whichever node leads now, and each round checks it still does.
  const seriesOf = async (
    cluster: RollcallNodes,
    ledBefore: number,
    prefix: string,
  ): Promise<FollowerSeriesSetup> => {
    const seriesLeader = await cluster.waitLeader(30_000);
    if (seriesLeader !== ledBefore) log(`${prefix}the leader moved before the followers series`);
    const at = cluster.apiPorts.indexOf(seriesLeader);
    return {
      ports: {
        leader: seriesLeader,
        followers: cluster.apiPorts.filter((p) => p !== seriesLeader),
      },
      pids: { leader: cluster.pids[at], followers: cluster.pids.filter((_, i) => i !== at) },
      plan: share,
      settings,
      stillLeads: async () => (await cluster.currentLeader()) === seriesLeader,
      prefix,
    };
  };
  const rollcallSetup = args.followers ? await seriesOf(nodes, leader, '') : null;
  const baselineSetup =
    args.followers && baseline
      ? await seriesOf(baseline.nodes, baseline.leader, "the baseline's ")
      : null;
  // The same series on the floor: what the least implementation reaches here.
  const floorSetup: FollowerSeriesSetup | null =
    args.followers && floor
      ? {
          ports: { leader: floor.port, followers: floor.followerPorts },
          pids: { leader: floor.leaderPid, followers: floor.followerPids },
          plan: share,
          settings,
          prefix: "the floor's ",
        }
      : null;
  const setups = [rollcallSetup, baselineSetup, floorSetup].filter((s) => s !== null);
  const series = await runFollowerSeries(setups, log);
  const seriesOfSetup = (setup: FollowerSeriesSetup | null) =>
    setup ? series[setups.indexOf(setup)] : null;
  const rollcallFollowers = seriesOfSetup(rollcallSetup);
  const followerRounds: FollowerRound[] = rollcallFollowers?.rounds ?? [];
  const idleCpuPerSecond = rollcallFollowers?.idleCpuPerSecond ?? null;
  const baselineFollowers = seriesOfSetup(baselineSetup);
  const floorFollowers = seriesOfSetup(floorSetup);
  const stillLeader = await nodes.currentLeader();
  const exited = nodes.exited();
  // At LOG_LEVEL=warn a node prints only trouble (lease lapses, unreachable peers): it explains
  // non-2xx answers that wrk can only count.
  const nodeOutput = nodes.tails();
  for (const [name, lines] of Object.entries(nodeOutput)) {
    log(`  ${name} printed ${lines.length} lines, last: ${lines.at(-1)}`);
  }
  await ref.child.kill();
  const floorExitedEarly = (await floor?.stop()) ?? [];
  await nodes.stop();
  await baseline?.nodes.stop();
  await tls?.nodes.stop();

  const rc = median(rounds, 'rollcall');
  const rf = median(rounds, 'reference');
  const rb = median(rounds, 'baseline');
  const rt = median(rounds, 'rollcall-tls');
  const costOfTls = ratio(rt?.wrk.perSecond ?? null, rc?.wrk.perSecond ?? null);
  const r = ratio(rc?.wrk.perSecond ?? null, rf?.wrk.perSecond ?? null);
  const afterVsBefore = ratio(rc?.wrk.perSecond ?? null, rb?.wrk.perSecond ?? null);
  const non2xx = rounds
    .filter((x) => x.target === 'rollcall')
    .reduce((a, x) => a + x.wrk.non2xx, 0);
  const target = {
    what: `rollcall / bare node:http heartbeats per second (median rounds) >= ${TARGET_RATIO}, no non-2xx`,
    measured: r,
    non2xxAllRounds: non2xx,
    met: r !== null && r >= TARGET_RATIO && non2xx === 0,
  };
  const durationMs = now() - t0;
  log('');
  log(
    `median rounds: rollcall ${Math.round(rc?.wrk.perSecond ?? 0)}/s, reference ${Math.round(rf?.wrk.perSecond ?? 0)}/s, ratio ${r?.toFixed(2) ?? '-'}x; rollcall non-2xx in all rounds: ${non2xx}`,
  );
  if (rb) {
    log(
      `baseline median round: ${Math.round(rb.wrk.perSecond)}/s, p99 ${rb.wrk.latencyMs.p99.toFixed(2)} ms; this build / baseline ${afterVsBefore?.toFixed(2) ?? '-'}x, p99 ${rc?.wrk.latencyMs.p99.toFixed(2) ?? '-'} ms against ${rb.wrk.latencyMs.p99.toFixed(2)} ms`,
    );
  }
  if (rt) {
    log(
      `with peer and API TLS: median round ${Math.round(rt.wrk.perSecond)}/s, p99 ${rt.wrk.latencyMs.p99.toFixed(2)} ms; cost of TLS (with / without) ${costOfTls?.toFixed(2) ?? '-'}x`,
    );
  }
  const withinRounds = {
    rollcallOverReference: pairedRatios(rounds, rateIf('rollcall'), rateIf('reference')),
    referenceSpread: spreadOf(
      rounds.filter((x) => x.target === 'reference').map((x) => x.wrk.perSecond),
    ),
  };
  log(
    `rollcall / reference within each round: ${pairedLine(withinRounds.rollcallOverReference)}; ` +
      `the reference's own rate, greatest / least round: ${withinRounds.referenceSpread?.toFixed(2) ?? '-'}x`,
  );
  const cpu = medianByTarget(rounds);
  const floorReport = floorSummary(rounds, cpu);
  if (floorReport) log(floorReport.line);
  const floorCpu = floorReport?.summary;
  log(
    `server CPU per 100,000 heartbeats (medians): rollcall's leader ${cpu.rollcall?.toFixed(2) ?? '-'} s, reference ${cpu.reference?.toFixed(2) ?? '-'} s` +
      (rb ? `, baseline's leader ${cpu.baseline?.toFixed(2) ?? '-'} s` : '') +
      (rt ? `, TLS cluster's leader ${cpu['rollcall-tls']?.toFixed(2) ?? '-'} s` : '') +
      (floorCpu
        ? `, the floor's leader ${floorCpu.leaderCpuSecondsPer100k.toFixed(2)} s (its two followers ${floorCpu.followersCpuSecondsPer100k.toFixed(2)} s)`
        : ''),
  );
  const machine = {
    cpuSecondsPer100k: medianByTarget(rounds, (x) => x.machineCpuSecondsPer100k),
    busy: medianByTarget(rounds, (x) => x.machineBusy),
  };
  const pct = (share: number | undefined) =>
    share === undefined ? '-' : `${Math.round(share * 100)}%`;
  log(
    `the machine's CPU per 100,000 heartbeats (medians; every process, wrk included): rollcall ${machine.cpuSecondsPer100k.rollcall?.toFixed(2) ?? '-'} s (${pct(machine.busy.rollcall)} busy), ` +
      `reference ${machine.cpuSecondsPer100k.reference?.toFixed(2) ?? '-'} s (${pct(machine.busy.reference)} busy)` +
      (floorCpu
        ? `, the floor ${machine.cpuSecondsPer100k.floor?.toFixed(2) ?? '-'} s (${pct(machine.busy.floor)} busy)`
        : '') +
      '; ' +
      `reference / rollcall ${ratio(machine.cpuSecondsPer100k.reference ?? null, machine.cpuSecondsPer100k.rollcall ?? null)?.toFixed(2) ?? '-'}x`,
  );
  log(`target ratio >= ${TARGET_RATIO} with no non-2xx: ${target.met ? 'met' : 'NOT met'}`);
  const followerSeries = followerSummary(followerRounds, idleCpuPerSecond, 'followers series');
  if (followerSeries) log(followerSeries.line);
  const floorSeries = floorFollowers
    ? followerSummary(
        floorFollowers.rounds,
        floorFollowers.idleCpuPerSecond,
        "the floor's followers series",
      )
    : null;
  if (floorSeries) log(floorSeries.line);
  const baselineSeries = baselineFollowers
    ? followerSummary(
        baselineFollowers.rounds,
        baselineFollowers.idleCpuPerSecond,
        "the baseline's followers series",
      )
    : null;
  if (baselineSeries) {
    const leaderCpuOverBaseline =
      (followerSeries?.summary.followers.leaderCpuSecondsPer100k ?? NaN) /
      baselineSeries.summary.followers.leaderCpuSecondsPer100k;
    log(baselineSeries.line);
    log(
      `leader CPU per heartbeat over the followers, this build / baseline: ${leaderCpuOverBaseline.toFixed(2)}x`,
    );
  }
  log(`leader unchanged: ${stillLeader === leader}; nodes exited: ${exited.length}`);
  if (floorExitedEarly.length > 0)
    log(`floor processes that exited early: ${floorExitedEarly.join(', ')}`);
  log(durationLine(durationMs, loadBefore));

  const file = writeResults(REPO, 'heartbeat', startedAt, {
    ...reportHeader('heartbeat', start, durationMs),
    command,
    settings: {
      ...args,
      rollcall: HEARTBEAT_TIMINGS,
      cluster: 3,
      loadGenerator: 'wrk',
      script: 'bench/heartbeat/rotate.lua',
    },
    medianRounds: {
      rollcall: rc,
      reference: rf,
      baseline: rb,
      rollcallTls: rt,
      floor: median(rounds, 'floor'),
    },
    serverCpuSecondsPer100k: cpu,
    machine,
    costOfTls,
    ratio: r,
    withinRounds,
    baseline: baselineDir ? { dir: baselineDir, thisBuildOverBaseline: afterVsBefore } : null,
    target,
    floor: floorReport ? { ...floorReport.summary, exitedEarly: floorExitedEarly } : null,
    followers: followerSeries?.summary ?? null,
    followerRounds,
    baselineFollowers: baselineSeries?.summary ?? null,
    baselineFollowerRounds: baselineFollowers?.rounds ?? [],
    floorFollowers: floorSeries?.summary ?? null,
    floorFollowerRounds: floorFollowers?.rounds ?? [],
    leaderUnchanged: stillLeader === leader,
    nodesExited: exited,
    nodeOutput,
    rounds,
  });
  log(`results: ${file}`);
  return exited.length > 0 ? 1 : 0;
}

/** A round's rate if it is of `target`, for pairedRatios. */
function rateIf(target: Target): (r: Round) => number | null {
  return (r) => (r.target === target ? r.wrk.perSecond : null);
}

/**
 * Each target's median of `pick` over its rounds (not the median round's): by default the serving
 * process's CPU per 100,000 answers.
 */
function medianByTarget(
  rounds: Round[],
  pick: (r: Round) => number = (r) => r.serverCpuSecondsPer100k,
): Partial<Record<Target, number>> {
  const out: Partial<Record<Target, number>> = {};
  for (const target of new Set(rounds.map((r) => r.target))) {
    const values = rounds.filter((r) => r.target === target).map(pick);
    out[target] = quantile(
      values.sort((a, b) => a - b),
      0.5,
    );
  }
  return out;
}

/**
 * The floor's median round against the reference's and rollcall's, and the median CPU per 100,000
 * heartbeats of its leader and of its two followers; null without `--floor 1`.
 */
function floorSummary(rounds: Round[], cpu: Partial<Record<Target, number>>) {
  const floor = median(rounds, 'floor');
  if (!floor) return null;
  const rateOf = (target: Target) => median(rounds, target)?.wrk.perSecond ?? null;
  const followersCpu = rounds
    .filter((r) => r.target === 'floor')
    .map((r) => r.floorFollowersCpuSecondsPer100k ?? NaN)
    .sort((a, b) => a - b);
  const summary = {
    perSecond: floor.wrk.perSecond,
    p99Ms: floor.wrk.latencyMs.p99,
    floorOverReference: ratio(floor.wrk.perSecond, rateOf('reference')),
    rollcallOverFloor: ratio(rateOf('rollcall'), floor.wrk.perSecond),
    leaderCpuSecondsPer100k: cpu.floor ?? NaN,
    followersCpuSecondsPer100k: quantile(followersCpu, 0.5),
  };
  const line =
    `the floor (a majority of three, nothing else) median round: ${Math.round(summary.perSecond)}/s, p99 ${summary.p99Ms.toFixed(2)} ms; ` +
    `floor / reference ${summary.floorOverReference?.toFixed(2) ?? '-'}x, rollcall / floor ${summary.rollcallOverFloor?.toFixed(2) ?? '-'}x`;
  return { summary, line };
}

/**
 * Medians of a --followers series (rollcall's, the baseline's or the floor's), and the leader's
 * CPU per heartbeat of one against the other; `label` starts the line.
 */
function followerSummary(all: FollowerRound[], idleCpuPerSecond: number | null, label: string) {
  // A round in which leadership moved measured a follower as the leader: it does not count.
  const rounds = all.filter((r) => r.leaderUnchanged);
  if (rounds.length === 0) return null;
  const med = (target: FollowerRound['target'], pick: (r: FollowerRound) => number) =>
    quantile(
      rounds
        .filter((r) => r.target === target)
        .map(pick)
        .sort((a, b) => a - b),
      0.5,
    );
  const summary = {
    leader: {
      perSecond: med('leader', (r) => r.perSecond),
      leaderCpuSecondsPer100k: med('leader', (r) => r.leaderCpuSecondsPer100k),
    },
    followers: {
      perSecond: med('followers', (r) => r.perSecond),
      leaderCpuSecondsPer100k: med('followers', (r) => r.leaderCpuSecondsPer100k),
      followersCpuSecondsPer100k: med('followers', (r) => r.followersCpuSecondsPer100k),
    },
    /** The leader's CPU with no load, per second: a share of each figure above. */
    leaderIdleCpuPerSecond: idleCpuPerSecond,
    leaderCpuFollowersOverLeader: 0,
    target: 'leader CPU per heartbeat with followers taking them <= 0.2x of the leader taking them',
  };
  summary.leaderCpuFollowersOverLeader =
    summary.followers.leaderCpuSecondsPer100k / summary.leader.leaderCpuSecondsPer100k;
  const cpuIf = (target: FollowerRound['target']) => (r: FollowerRound) =>
    r.target === target ? r.leaderCpuSecondsPer100k : null;
  const withinRounds = pairedRatios(rounds, cpuIf('followers'), cpuIf('leader'));
  const line =
    `${label} (medians): to the leader ${Math.round(summary.leader.perSecond)}/s, leader CPU ${summary.leader.leaderCpuSecondsPer100k.toFixed(2)} s/100k; ` +
    `over the followers ${Math.round(summary.followers.perSecond)}/s, leader CPU ${summary.followers.leaderCpuSecondsPer100k.toFixed(2)} s/100k; ` +
    `ratio ${summary.leaderCpuFollowersOverLeader.toFixed(2)}x (target <= 0.2x), within each round ${pairedLine(withinRounds)}; ` +
    `the followers' CPU ${summary.followers.followersCpuSecondsPer100k.toFixed(2)} s/100k; leader idle ${idleCpuPerSecond?.toFixed(3) ?? '-'} CPU s/s`;
  return { summary: { ...summary, withinRounds }, line };
}

runBench('heartbeat', main);
