import { TestCluster } from '../test/support/cluster';
import { type CheckResult, check } from './checker';
import { now, pause } from './clock';
import {
  type MembershipCheck,
  checkMembership,
  leadsSeen,
  membershipViolations,
} from './membership-checker';
import { type MemberFaultDeps, MembershipFaults } from './membership-faults';
import { MembershipHistory } from './membership-history';
import { recordFinalMembership } from './membership-final';
import { FAULT_KINDS, Nemesis } from './nemesis';
import { Prng } from './prng';
import { Prober } from './prober';
import { Recorder } from './recorder';
import { verifyRegistrations } from './verify-registrations';
import { Workload } from './workload';

export interface ChaosOptions {
  nodes: number;
  seconds: number;
  seed: number;
  /** CLUSTER_SECRET on every node: the faults then also break sealed streams mid-connection. */
  secret: boolean;
  /** follower_heartbeats and follower_reads on, the SDK clients in follower mode. */
  followers: boolean;
  /** Membership faults (add, promote, remove, replace) on `spares` extra slots; off by default. */
  membership?: boolean;
  /** Slots for new machines (each used once, at a new address); only with `membership`. */
  spares?: number;
  /** Progress lines (faults, operation counts) for a human watching. */
  log: (line: string) => void;
}

export interface ChaosResult {
  options: Omit<ChaosOptions, 'log'>;
  faults: Record<string, number>;
  mesh: { forwarded: number; droppedByCut: number; droppedByLoss: number; delayed: number };
  operations: {
    registerOk: number;
    registerFailed: number;
    heartbeatOk: number;
    heartbeatFailed: number;
    discoverOk: number;
    discoverFailed: number;
    probeDiscoverOk: number;
    leaderAnswers: number;
    healthPolls: number;
  };
  check: CheckResult;
  /** With --membership: the membership invariants, the changes by outcome, the final members. */
  membership: {
    check: MembershipCheck;
    changes: Record<string, number>;
    finalVoters: number[];
    finalLearners: number[];
    finalConfigIndex: number | null;
  } | null;
  /** Workload calls that failed for good, with the faults started in the 6 s before each. */
  failures: { op: string; at: string; why: string; faultsBefore: string[] }[];
  violations: number;
  /** Things that stop the run from proving its invariants (a node never verified, say). */
  incomplete: string[];
  durationSeconds: number;
  /** Wall clock at the runner's time 0, to line node log timestamps up with the report's times. */
  startedAt: string;
  /** Every node process's log lines (a restart is a new process). */
  nodeLogs: { node: number; incarnation: number; lines: readonly string[] }[];
}

/** follower_read_max_lag_ms of a --followers run: ten of the test cluster's 50 ms intervals. */
const FOLLOWER_READ_MAX_LAG_MS = 500;

/** Every cluster a run started, so that an exit path of any kind can kill its processes. */
const live = new Set<TestCluster>();

/** Entries between two snapshots of each node's registry during a run. */
const SNAPSHOT_EVERY = 100;

/**
 * How long the first start of the cluster may take. Not a property under test: on the shared
 * 2-core machine at load average ~10, three nodes took 14.4 s to serve and five missed 15 s.
 */
const CLUSTER_START_TIMEOUT_MS = 60_000;

/** The admin token of a --membership run's nodes (loopback only, a throwaway cluster). */
const ADMIN_TOKEN = 'chaos-run-admin-token-0123456789';

/** Stops every cluster a run started: kills its nodes, closes its proxies, removes its data. */
export async function stopAllClusters(): Promise<void> {
  await Promise.all([...live].map((cluster) => cluster.stop()));
}

/** Kills every node process a run started; synchronous, so it works from process 'exit'. */
export function killAllNodes(): void {
  for (const cluster of live) {
    for (const node of cluster.nodes) node?.signal('SIGKILL');
  }
}

/**
 * One chaos run: a real cluster behind the fault proxy mesh, the seeded schedule of faults, the
 * client workload and the prober for `seconds`, then healing, verification and the checker.
 */
export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const rng = new Prng(opts.seed);
  const membership = opts.membership === true;
  const cluster = clusterFor(opts);
  live.add(cluster);
  const stopSchedule = new AbortController();
  let prober: Prober | null = null;
  let workload: Workload | null = null;
  try {
    await cluster.start();
    const recorder = new Recorder();
    const urls = cluster.ids.map((_, i) => cluster.url(i));
    const leader0 = await cluster.waitForLeader(
      Array.from({ length: opts.nodes }, (_, i) => i),
      30_000,
    );
    opts.log(`cluster of ${opts.nodes} up, node ${leader0} leads; seed ${opts.seed}`);
    const isUp = (i: number) => cluster.nodes[i]?.running === true;
    prober = new Prober(() => urls, recorder, rng.fork('prober'), isUp).start();
    workload = workloadFor(opts, urls, recorder, rng.fork('workload')).start();
    const seen = prober;
    const leaderNow = () => {
      const l = seen.lastLeader;
      return l && now() - l.at < 1000 ? l.node : null;
    };
    const say = (line: string) => opts.log(`[${recorder.sinceStart(now()).padStart(9)}] ${line}`);
    const nemesis = new Nemesis(cluster, recorder, rng.fork('nemesis'), leaderNow, say);
    const history = new MembershipHistory();
    if (membership) {
      const logStep = (kind: string, detail: string) => say(`${kind.padEnd(16)} ${detail}`);
      nemesis.membership = membershipFaultsFor(nemesis, cluster, recorder, history, {
        rng: rng.fork('membership'),
        leader: leaderNow,
        log: logStep,
      });
    }
    const end = now() + opts.seconds * 1000;
    const status = statusLines(recorder, end, stopSchedule.signal, opts.log);
    await nemesis.run(end, stopSchedule.signal);
    stopSchedule.abort();
    await status;
    opts.log(
      `[${recorder.sinceStart(now()).padStart(9)}] schedule over: stopping the workload, healing`,
    );
    await workload.close();
    await nemesis.healAll();
    const members = nemesis.membership?.members();
    const verification = await verifyRegistrations(cluster, recorder, opts.log, members);
    if (members) await recordFinalMembership(cluster, history, members, ADMIN_TOKEN);
    await prober.close();
    const incarnations = nemesis.incarnations.map((i) => ({
      node: i.node,
      startedAt: i.startedAt,
      lines: i.proc.lines,
    }));
    const result = check(
      recorder,
      incarnations,
      verification,
      opts.followers ? FOLLOWER_READ_MAX_LAG_MS : null,
    );
    const t = (x: number) => recorder.sinceStart(x);
    const memberCheck = membership ? checkMembership(history, leadsSeen(recorder), t) : null;
    return resultOf(opts, { cluster, recorder, nemesis, history, check: result, memberCheck });
  } finally {
    stopSchedule.abort();
    // Closing twice is harmless; after a failure mid-run these loops must not outlive the run.
    await workload?.close();
    await prober?.close();
    await cluster.stop();
    live.delete(cluster);
  }
}

/** The run's cluster: proxied, loads pinned, spare slots and ADMIN_TOKEN with --membership. */
function clusterFor(opts: ChaosOptions): TestCluster {
  const membership = opts.membership === true;
  const env: Record<string, string> = {
    ...(opts.secret ? { CLUSTER_SECRET: `chaos-run-${opts.seed}-cluster-secret` } : {}),
    ...(membership ? { ADMIN_TOKEN } : {}),
  };
  return new TestCluster({
    size: opts.nodes,
    spares: membership ? (opts.spares ?? 0) : 0,
    proxied: true,
    startTimeoutMs: CLUSTER_START_TIMEOUT_MS,
    // Pinned and equal, so that leadership moves for load only when the schedule says so.
    loads: Array.from({ length: opts.nodes + (membership ? (opts.spares ?? 0) : 0) }, () => 50),
    meshSeed: opts.seed,
    // Small, so that snapshots, log compaction and InstallSnapshot to a node back from a kill or
    // a partition all happen under faults (the default, 10,000, is never reached in a run).
    extra: [
      `snapshot_every = ${SNAPSHOT_EVERY}`,
      ...(opts.followers
        ? [
            'follower_heartbeats = true',
            'follower_reads = true',
            `follower_read_max_lag_ms = ${FOLLOWER_READ_MAX_LAG_MS}`,
          ]
        : []),
    ].join('\n'),
    env: Object.keys(env).length > 0 ? env : undefined,
  });
}

/** The membership faults of a --membership run, sharing the nemesis's view of what is down. */
function membershipFaultsFor(
  nemesis: Nemesis,
  cluster: TestCluster,
  recorder: Recorder,
  history: MembershipHistory,
  own: Pick<MemberFaultDeps, 'rng' | 'leader' | 'log'>,
): MembershipFaults {
  return new MembershipFaults({
    ...own,
    cluster,
    recorder,
    history,
    token: ADMIN_TOKEN,
    down: nemesis.down,
    mayTakeDown: () => nemesis.mayTakeDown(),
    started: (node, proc) => nemesis.incarnations.push({ node, proc, startedAt: now() }),
  });
}

interface RunRecord {
  cluster: TestCluster;
  recorder: Recorder;
  nemesis: Nemesis;
  history: MembershipHistory;
  check: CheckResult;
  memberCheck: MembershipCheck | null;
}

/** The run's result: its options, the counts, every check, the failures and the node logs. */
function resultOf(opts: ChaosOptions, run: RunRecord): ChaosResult {
  const { cluster, recorder, nemesis, history, check: result, memberCheck } = run;
  const membership = memberCheck !== null;
  const o = recorder.ops;
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, recorder.faultCounts()[k] ?? 0]));
  const violations =
    result.overlappingLeadership.violations +
    result.leadersPerTerm.violations +
    result.lostRegistrations.violations +
    result.vanishedClients.violations +
    result.followerReads.violations +
    (memberCheck ? membershipViolations(memberCheck) : 0);
  return {
    options: {
      nodes: opts.nodes,
      seconds: opts.seconds,
      seed: opts.seed,
      secret: opts.secret,
      followers: opts.followers,
      membership,
      spares: membership ? (opts.spares ?? 0) : 0,
    },
    faults,
    mesh: { ...cluster.mesh!.stats },
    operations: {
      registerOk: o.register.ok,
      registerFailed: o.register.failed,
      heartbeatOk: recorder.heartbeatAcks.length,
      heartbeatFailed: o.heartbeat.failed,
      discoverOk: o.discover.ok,
      discoverFailed: o.discover.failed,
      probeDiscoverOk: o.probe.ok,
      leaderAnswers: recorder.leaderAnswers.length,
      healthPolls: o.health.ok,
    },
    check: result,
    membership: memberCheck && {
      check: memberCheck,
      changes: history.counts(),
      finalVoters: [...(history.final.list?.voters ?? [])].sort((a, b) => a - b),
      finalLearners: [...(history.final.list?.learners ?? [])].sort((a, b) => a - b),
      finalConfigIndex: history.final.list?.configIndex ?? null,
    },
    failures: recorder.failures.map((f) => ({
      op: f.op,
      at: recorder.sinceStart(f.at),
      why: f.why,
      faultsBefore: recorder.faults
        .filter((x) => x.at <= f.at && x.at >= f.at - 6000)
        .map((x) => `${recorder.sinceStart(x.at)} ${x.kind} ${x.detail}`),
    })),
    violations,
    incomplete: result.lostRegistrations.unverified,
    durationSeconds: Math.round((now() - recorder.startedAt) / 1000),
    startedAt: new Date(performance.timeOrigin + recorder.startedAt).toISOString(),
    nodeLogs: nemesis.incarnations.map((inc, k) => ({
      node: inc.node,
      incarnation: nemesis.incarnations.slice(0, k).filter((i) => i.node === inc.node).length,
      lines: inc.proc.lines,
    })),
  };
}

/** The client workload: SDK clients registering, heartbeating and discovering. */
function workloadFor(opts: ChaosOptions, urls: string[], recorder: Recorder, rng: Prng): Workload {
  return new Workload(
    {
      urls,
      seed: opts.seed,
      activeClients: 30,
      initialClients: 10,
      registerEveryMs: [200, 600],
      heartbeatIntervalMs: 300,
      discoverers: 2,
      discoverEveryMs: [100, 250],
      followerMode: opts.followers,
    },
    recorder,
    rng,
  );
}

/** One progress line every 10 s until the run's end (or the signal). */
async function statusLines(
  recorder: Recorder,
  end: number,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  while (!signal.aborted && now() < end) {
    await pause(10_000, signal);
    const o = recorder.ops;
    log(
      `[${recorder.sinceStart(now()).padStart(9)}] ops: register ${o.register.ok} ok/${o.register.failed} failed, ` +
        `heartbeat ${recorder.heartbeatAcks.length} acked, discover ${o.discover.ok} ok, ` +
        `probe 200s ${o.probe.ok}; faults ${recorder.faults.length}`,
    );
  }
}
