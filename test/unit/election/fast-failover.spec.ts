import { Prng } from './sim/prng';
import { SimCluster } from './sim/sim-cluster';
import { DEFAULT_TIMING } from './sim/timing';

const { electionTimeoutMinMs: MIN, electionRetryMs: RETRY } = DEFAULT_TIMING;
/** When the driver reports the dead leader: its reconnect failed. */
const DETECTED_AFTER_MS = 500;
const RUNS = 50;

interface Failover {
  seed: number;
  crashAt: number;
  /** From the crash to a new leader, virtual ms. */
  electedAfter: number;
  newLeader: string;
  leastLoadedSurvivor: string;
  oldLeaseUntil: number;
  newLeaseFrom: number;
}

function failover(size: number, seed: number, report: boolean, exited = false): Failover {
  const rng = new Prng(seed);
  const cpu = rng.shuffle([10, 30, 50, 70, 90].slice(0, size));
  const cluster = new SimCluster({
    size,
    seed: rng.fork(),
    cpu,
    network: { minLatencyMs: 1, maxLatencyMs: 20 },
  });
  const old = cluster.runUntilAgreedLeader();
  cluster.runFor(rng.between(0, 5000));
  const oldLeaseUntil = cluster.status(old)!.leaseUntil!;
  const crashAt = cluster.now;
  cluster.crash(old);
  const survivors = cluster.ids.filter((id) => id !== old);
  if (report) {
    cluster.at(crashAt + DETECTED_AFTER_MS, () => {
      for (const id of survivors) cluster.peerUnreachable(id, old, exited);
    });
  }
  const electedAt = cluster.runUntilTrue(() => cluster.leaders().length === 1, 10 * MIN);
  // A run without a new leader is a failure, not a failover of 0 ms (null - crashAt < 0).
  if (electedAt === null) {
    throw new Error(`seed=${seed}: no new leader within ${10 * MIN} ms of the crash`);
  }
  const newLeader = cluster.leaders()[0];
  cluster.runUntilAgreedLeader();
  cluster.runFor(1);
  const lightest = Math.min(...survivors.map((id) => cpu[cluster.ids.indexOf(id)]));
  return {
    seed,
    crashAt,
    electedAfter: electedAt - crashAt,
    newLeader,
    leastLoadedSurvivor: cluster.ids[cpu.indexOf(lightest)],
    oldLeaseUntil,
    newLeaseFrom: cluster.leaseSpans(newLeader)[0].from,
  };
}

describe('fast failover when the driver reports the leader unreachable', () => {
  it.each([3, 5])(
    '%i nodes: a refusal proves the leader exited, so the new lease need not wait out the old one',
    (size) => {
      const runs = Array.from({ length: RUNS }, (_, i) => failover(size, i + 1, true, true));
      // Serving resumes within a few round trips of the election, not a lease length later.
      const late = runs.filter(
        (r) => r.newLeaseFrom - (r.electedAfter + r.oldLeaseUntil - MIN) > MIN,
      );
      expect(late.map((r) => `seed=${r.seed}`)).toEqual([]);
      const beforeOldLeaseEnd = runs.filter((r) => r.newLeaseFrom < r.oldLeaseUntil);
      expect(beforeOldLeaseEnd.length).toBeGreaterThan(RUNS / 2);
    },
  );

  it.each([3, 5])('%i nodes: a new leader well within the election timeout', (size) => {
    const runs = Array.from({ length: RUNS }, (_, i) => failover(size, i + 1, true));
    // Ranked retry: at most `size` retry slots after detection, plus a few round trips.
    const bound = DETECTED_AFTER_MS + size * RETRY + 200;
    const slow = runs.filter((r) => r.electedAfter >= bound);
    expect(slow.map((r) => `seed=${r.seed}: ${r.electedAfter.toFixed(0)} ms`)).toEqual([]);
    expect(bound).toBeLessThan(MIN);
  });

  it.each([3, 5])('%i nodes: without the report it takes at least electionTimeoutMin', (size) => {
    const runs = Array.from({ length: RUNS }, (_, i) => failover(size, i + 1, false));
    const heartbeat = DEFAULT_TIMING.heartbeatIntervalMs;
    expect(runs.filter((r) => r.electedAfter < MIN - heartbeat)).toEqual([]);
  });

  it.each([3, 5])('%i nodes: the least loaded survivor takes over', (size) => {
    const runs = Array.from({ length: RUNS }, (_, i) => failover(size, i + 1, true));
    const misses = runs.filter((r) => r.newLeader !== r.leastLoadedSurvivor);
    expect(misses.length <= RUNS * 0.05 ? [] : misses.map((r) => `seed=${r.seed}`)).toEqual([]);
  });

  it.each([3, 5])(
    '%i nodes: the new lease starts only after the dead leader lease ran out',
    (size) => {
      const runs = Array.from({ length: RUNS }, (_, i) => failover(size, i + 1, true));
      const early = runs.filter((r) => r.newLeaseFrom < r.oldLeaseUntil);
      expect(early.map((r) => `seed=${r.seed}`)).toEqual([]);
    },
  );
});
