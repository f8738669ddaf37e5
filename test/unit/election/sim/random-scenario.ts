import { MembershipChanger, type MembershipTally } from './membership-changes';
import type { Entry } from '../../../../src/election/consensus';
import { Prng } from './prng';
import { applyKey, SimCluster } from './sim-cluster';
import { CALM_NETWORK, type NetworkConditions } from './sim-network';

export interface RandomRunOptions {
  /** How long faults keep coming (virtual ms). */
  faultMs: number;
  /** How long after the faults stop a leader must be agreed on (virtual ms). */
  livenessBoundMs: number;
  /** Virtual ms between proposal bursts on the leader; default none. */
  proposeEveryMs?: number;
  /** Passed on to the cluster: snapshot and compact every this many applied entries. */
  compactEvery?: number;
  /** How long, with every node up and the network calm, the logs get to converge. */
  convergeBoundMs?: number;
  /**
   * Membership changes under the faults: the first `voters` nodes bootstrap the cluster, the
   * rest start outside it, and a random change is asked of the leader every ~`changeEveryMs`.
   */
  membership?: { voters: number; changeEveryMs: number };
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
  /** Proposals acknowledged (committed and applied by the leader that took them). */
  acknowledged: number;
  /** Of those, the ones acknowledged while the faults went on. */
  acknowledgedDuringFaults: number;
  /** With `membership`: what the changes did. */
  membership: MembershipTally | null;
  trace: string[] | null;
}

/** Proposed on the agreed leader once the faults are over; every one must be acknowledged. */
export const CALM_PROPOSALS = 5;

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
  const cluster = new SimCluster({
    size,
    seed: rng.fork(),
    cpu,
    trace: opts.trace,
    compactEvery: opts.compactEvery,
    voters: opts.membership?.voters,
  });
  cluster.keepSent = false;
  const faults = new FaultInjector(cluster, new Prng(rng.fork()));
  const workload = new Workload(cluster, new Prng(rng.fork()));
  if (opts.proposeEveryMs !== undefined) {
    const every = opts.proposeEveryMs;
    for (
      let t = rng.between(0, every);
      t < opts.faultMs;
      t += rng.between(every / 2, every * 1.5)
    ) {
      cluster.at(t, () => workload.burst());
    }
  }

  for (let t = rng.between(0, 3000); t < opts.faultMs; t += rng.between(100, 3000)) {
    cluster.at(t, () => faults.randomFault());
  }
  const changer = opts.membership ? new MembershipChanger(cluster, new Prng(rng.fork())) : null;
  if (changer !== null && opts.membership !== undefined) {
    const every = opts.membership.changeEveryMs;
    for (
      let t = rng.between(0, every);
      t < opts.faultMs;
      t += rng.between(every / 2, every * 1.5)
    ) {
      cluster.at(t, () => changer.randomChange());
    }
  }
  cluster.runUntil(opts.faultMs);
  const acknowledgedDuringFaults = workload.acknowledged.size;

  cluster.heal();
  cluster.network.conditions = { ...CALM_NETWORK };
  // A minority may stay down: a majority that can talk is all liveness needs.
  // (With membership changes, which nodes make a majority is only known at the end: all run.)
  const mayStayDown = changer === null ? Math.floor((size - 1) / 2) : 0;
  const stayDown = new Set(rng.shuffle(cluster.ids).slice(0, rng.int(0, mayStayDown + 1)));
  for (const id of cluster.ids) {
    if (stayDown.has(id)) cluster.crash(id);
    else cluster.restart(id);
  }
  const calmFrom = cluster.now;
  const recoveredAt = cluster.runUntilTrue(
    () => cluster.agreedLeader() !== null,
    opts.livenessBoundMs,
  );
  if (opts.proposeEveryMs !== undefined && recoveredAt !== null) {
    const bound = opts.convergeBoundMs ?? opts.livenessBoundMs;
    // Faults can keep a majority apart for a whole run; these entries make sure that every run
    // checks log safety on something, and that the nodes that were down catch up to them.
    workload.proposeCalm(CALM_PROPOSALS, bound);
    workload.checkConverged(bound);
  }
  return {
    seed,
    size,
    violations: cluster.safety.violations,
    recoveredAfterMs: recoveredAt === null ? null : recoveredAt - calmFrom,
    terms: Math.max(...cluster.ids.map((id) => cluster.node(id).disk.hardState.term)),
    events: cluster.events,
    acknowledged: workload.acknowledged.size,
    acknowledgedDuringFaults,
    membership: changer?.tally ?? null,
    trace: cluster.trace,
  };
}

/**
 * Proposes unique entries on whoever leads, in bursts (which the core sends as one
 * AppendEntries), and remembers each one acknowledged: applied by the node that took it, in the
 * term and at the index it was given. At the end every node must hold and apply all of them.
 */
class Workload {
  private next = 0;
  /** data -> where the proposing leader put it. */
  private readonly pending = new Map<string, { node: string; index: number; term: number }>();
  /** index -> applyKey of the entry acknowledged there. */
  readonly acknowledged = new Map<number, string>();
  /** The data of every acknowledged proposal. */
  private readonly acknowledgedData = new Set<string>();
  private maxAcknowledged = 0;

  constructor(
    private readonly cluster: SimCluster,
    private readonly rng: Prng,
  ) {
    cluster.onApply = (node, entry) => this.onApply(node, entry);
  }

  private onApply(node: string, entry: Entry): void {
    const cluster = this.cluster;
    {
      if (typeof entry.data !== 'string') return;
      const p = this.pending.get(entry.data);
      if (p === undefined || p.node !== node) return;
      this.pending.delete(entry.data);
      // index 0: applied inside propose() itself, checked against its answer in proposeOn.
      if (p.index !== 0 && (p.index !== entry.index || p.term !== entry.term)) {
        cluster.safety.violations.push(
          `t=${cluster.now}: ${entry.data} proposed at ${p.index}/t${p.term}, applied at ${entry.index}/t${entry.term}`,
        );
        return;
      }
      this.acknowledged.set(entry.index, applyKey(entry));
      this.acknowledgedData.add(entry.data);
      this.maxAcknowledged = Math.max(this.maxAcknowledged, entry.index);
    }
  }

  burst(): void {
    const leader = this.cluster.leaders()[0];
    if (leader === undefined) return;
    this.proposeOn(leader, this.rng.int(1, 6));
  }

  /** Proposes `n` entries on the agreed leader and runs until that leader has applied them. */
  proposeCalm(n: number, boundMs: number): void {
    const c = this.cluster;
    const leader = c.agreedLeader();
    const proposed = leader === null ? [] : this.proposeOn(leader, n);
    const isAcknowledged = (data: string) => this.acknowledgedData.has(data);
    c.runUntilTrue(() => proposed.length === n && proposed.every(isAcknowledged), boundMs);
    const acknowledged = proposed.filter(isAcknowledged).length;
    if (acknowledged < n) {
      c.safety.violations.push(
        `t=${c.now}: ${acknowledged} of ${n} proposals on the agreed leader ${leader} acknowledged on a calm network`,
      );
    }
  }

  /** Proposes `n` entries on `leader`; returns the data of those it took. */
  private proposeOn(leader: string, n: number): string[] {
    const taken: string[] = [];
    for (let i = 0; i < n; i++) {
      const data = `p${this.next++}`;
      // Set before proposing: a leader that is the only voter commits and applies at once.
      this.pending.set(data, { node: leader, index: 0, term: 0 });
      const at = this.cluster.propose(leader, data);
      if (at === null) {
        this.pending.delete(data);
        continue;
      }
      const p = this.pending.get(data);
      if (p !== undefined) Object.assign(p, at);
      else if (this.acknowledged.get(at.index) !== applyKey({ ...at, data })) {
        const c = this.cluster;
        c.safety.violations.push(`t=${c.now}: ${data} proposed at ${at.index}, applied elsewhere`);
      }
      taken.push(data);
    }
    return taken;
  }

  /**
   * Brings every node up on a calm network, waits for every node to apply every acknowledged
   * entry, then checks Log Matching and that each acknowledged entry is on every node.
   */
  checkConverged(boundMs: number): void {
    const c = this.cluster;
    for (const id of c.ids) c.restart(id);
    // Every member of the agreed leader's configuration must hold everything; a removed node
    // (or one never added) is sent nothing, so it is held only to log matching below.
    const members = (): string[] => {
      const leader = c.agreedLeader();
      if (leader === null) return c.ids;
      const { voters, learners } = c.status(leader)!.membership;
      return [...voters, ...learners];
    };
    // Proposals still in flight may be acknowledged meanwhile: the target moves with them.
    const converged = c.runUntilTrue(
      () => members().every((id) => c.node(id).applied.length >= this.maxAcknowledged),
      boundMs,
    );
    const fail = (what: string) => c.safety.violations.push(`t=${c.now}: ${what}`);
    if (converged === null) {
      const behind = c.ids.map((id) => `${id}:${c.node(id).applied.length}`).join(' ');
      fail(
        `logs did not converge to acknowledged index ${this.maxAcknowledged} (applied ${behind})`,
      );
      return;
    }
    for (const id of members()) {
      const node = c.node(id);
      for (const [index, key] of this.acknowledged) {
        if (node.applied[index - 1] !== key) {
          fail(`${id} lost acknowledged ${key} at ${index} (has ${node.applied[index - 1]})`);
        }
        const snap = node.disk.snapshot;
        const onDisk =
          (snap !== null && snap.index >= index) ||
          node.disk.entries.some((e) => e.index === index && applyKey(e) === key);
        if (!onDisk) fail(`${id} has no acknowledged ${key} at ${index} on disk`);
      }
    }
    // Log Matching: two logs with an entry of the same index and term agree on it (and so on
    // every entry before it, which checking every index covers).
    const byIndex = new Map<number, Map<number, string>>();
    for (const id of c.ids) {
      for (const e of c.node(id).disk.entries) {
        const terms = byIndex.get(e.index) ?? new Map<number, string>();
        byIndex.set(e.index, terms);
        const seen = terms.get(e.term);
        if (seen === undefined) terms.set(e.term, applyKey(e));
        else if (seen !== applyKey(e))
          fail(`two different entries at ${e.index} in term ${e.term}`);
      }
    }
  }
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
