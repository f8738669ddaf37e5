import { Prng } from './prng';
import { SimCluster } from './sim-cluster';
import { CALM_NETWORK, type NetworkConditions } from './sim-network';

export interface RandomRunOptions {
  /** How long faults keep coming (virtual ms). */
  faultMs: number;
  /** How long after the faults stop a leader must be agreed on (virtual ms). */
  livenessBoundMs: number;
  trace?: boolean;
}

export interface RandomRunResult {
  seed: number;
  size: number;
  violations: string[];
  /** Virtual ms from the end of the faults until every running node followed one leased leader. */
  recoveredAfterMs: number | null;
  terms: number;
  events: number;
  trace: string[] | null;
}

/**
 * One seeded run: random loads, then `faultMs` of random faults (loss, duplication, delay and
 * reordering, partitions, one-way cuts, crashes and restarts, load changes, transfers, false
 * "peer unreachable" reports), then a calm network with a majority running.
 */
export function runRandomScenario(
  seed: number,
  size: number,
  opts: RandomRunOptions,
): RandomRunResult {
  const rng = new Prng(seed);
  const cpu = Array.from({ length: size }, () => rng.int(0, 101));
  const cluster = new SimCluster({ size, seed: rng.fork(), cpu, trace: opts.trace });
  cluster.keepSent = false;
  const faults = new FaultInjector(cluster, new Prng(rng.fork()));

  for (let t = rng.between(0, 3000); t < opts.faultMs; t += rng.between(100, 3000)) {
    cluster.at(t, () => faults.randomFault());
  }
  cluster.runUntil(opts.faultMs);

  cluster.heal();
  cluster.network.conditions = { ...CALM_NETWORK };
  // A minority may stay down: a majority that can talk is all liveness needs.
  const stayDown = new Set(
    rng.shuffle(cluster.ids).slice(0, rng.int(0, Math.floor((size - 1) / 2) + 1)),
  );
  for (const id of cluster.ids) {
    if (stayDown.has(id)) cluster.crash(id);
    else cluster.restart(id);
  }
  const calmFrom = cluster.now;
  const recoveredAt = cluster.runUntilTrue(
    () => cluster.agreedLeader() !== null,
    opts.livenessBoundMs,
  );
  return {
    seed,
    size,
    violations: cluster.safety.violations,
    recoveredAfterMs: recoveredAt === null ? null : recoveredAt - calmFrom,
    terms: Math.max(...cluster.ids.map((id) => cluster.node(id).disk.term)),
    events: cluster.events,
    trace: cluster.trace,
  };
}

class FaultInjector {
  constructor(
    private readonly cluster: SimCluster,
    private readonly rng: Prng,
  ) {}

  randomFault(): void {
    const c = this.cluster;
    const r = this.rng;
    const ids = c.ids;
    const up = ids.filter((id) => c.isUp(id));
    const down = ids.filter((id) => !c.isUp(id));
    const leader = c.leaders()[0];
    const roll = r.next();
    if (roll < 0.16) {
      c.network.conditions = this.randomConditions();
    } else if (roll < 0.26) {
      const shuffled = r.shuffle(ids);
      const cut = r.int(1, ids.length);
      c.partition(shuffled.slice(0, cut), shuffled.slice(cut));
      this.detectBrokenLinksLater();
    } else if (roll < 0.32) {
      c.isolate(leader !== undefined && r.chance(0.5) ? leader : r.pick(ids));
      this.detectBrokenLinksLater();
    } else if (roll < 0.38) {
      // Cut the leader (or anyone) off from one peer only, possibly in one direction.
      const from = leader !== undefined && r.chance(0.7) ? leader : r.pick(ids);
      const to = r.pick(ids.filter((id) => id !== from));
      const direction = r.int(0, 3);
      if (direction !== 1) c.cutOneWay(from, to);
      if (direction !== 0) c.cutOneWay(to, from);
      this.detectBrokenLinksLater();
    } else if (roll < 0.48) {
      c.heal();
    } else if (roll < 0.56) {
      if (up.length > 0) c.crash(r.pick(up));
      this.detectBrokenLinksLater();
    } else if (roll < 0.66) {
      if (down.length > 0) c.restart(r.pick(down));
    } else if (roll < 0.74) {
      // A quick bounce: the node comes back having forgotten everything not on disk.
      const id = r.pick(ids);
      c.crash(id);
      c.at(c.now + r.between(0, 1500), () => c.restart(id));
    } else if (roll < 0.82) {
      c.setCpu(r.pick(ids), r.int(0, 101));
    } else if (roll < 0.9) {
      if (leader !== undefined) c.transferLeadership(leader, r.chance(0.5) ? 'shutdown' : 'load');
    } else {
      // A flapping connection: the driver reports a peer that may in fact be fine.
      const at = r.pick(ids);
      const peer =
        leader !== undefined && leader !== at && r.chance(0.6)
          ? leader
          : r.pick(ids.filter((id) => id !== at));
      c.peerUnreachable(at, peer);
    }
  }

  private randomConditions(): NetworkConditions {
    const r = this.rng;
    const maxLatencyMs = r.pick([5, 20, 100, 400]);
    return {
      dropRate: r.pick([0, 0, 0.05, 0.2, 0.5]),
      duplicateRate: r.pick([0, 0.05, 0.3]),
      minLatencyMs: r.between(0, maxLatencyMs / 4),
      maxLatencyMs,
      slowRate: r.pick([0, 0.02, 0.1]),
      slowMaxLatencyMs: r.pick([1000, 4000, 8000]),
    };
  }

  /** What the driver does once a reconnect fails: report each peer it cannot reach. */
  private detectBrokenLinksLater(): void {
    const c = this.cluster;
    c.at(c.now + this.rng.between(200, 2500), () => {
      for (const at of c.ids) {
        for (const peer of c.ids) {
          if (at === peer || !c.isUp(at)) continue;
          const broken =
            !c.isUp(peer) || !c.network.canSend(at, peer) || !c.network.canSend(peer, at);
          // A refusal, and so the proof that the process exited, comes only from a peer that is down.
          if (broken) c.peerUnreachable(at, peer, !c.isUp(peer));
        }
      }
    });
  }
}

export function describeFailure(result: RandomRunResult): string {
  const what =
    result.violations.length > 0
      ? result.violations.slice(0, 3).join('; ')
      : 'no agreed leader within the liveness bound';
  return `seed=${result.seed} size=${result.size}: ${what}`;
}
