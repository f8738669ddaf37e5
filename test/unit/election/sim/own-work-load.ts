import type { NodeId, RoleChange } from '../../../../src/election/consensus';
import type { SimCluster } from './sim-cluster';

export interface OwnWorkOptions {
  /** Each machine's load from everything but its rollcall process, per node in address order. */
  backgrounds: number[];
  /** CPU points the process spends while it leads: it serves every client request. */
  leaderWorkPct: number;
  /** CPU points it spends while following (replication, keepalives). */
  followerWorkPct: number;
  /** How often each node samples its load, as cpu_refresh_ms does. */
  sampleEveryMs: number;
}

const clamp = (pct: number) => Math.min(100, Math.max(0, pct));

/**
 * A model of real machines under a workload that follows the leader: each node's machine load
 * is its background plus what its own process spent over the last sampling window, more for the
 * part of the window it led. Every window each node hands its core the two figures its sampler
 * would: the machine's load, and that minus its own share (clamped, as the sampler does).
 */
export class OwnWorkLoad {
  private readonly backgrounds = new Map<NodeId, number>();

  constructor(
    private readonly cluster: SimCluster,
    private readonly opts: OwnWorkOptions,
  ) {
    cluster.ids.forEach((id, i) => this.backgrounds.set(id, opts.backgrounds[i]));
  }

  /** Samples every `sampleEveryMs` until `untilMs` (virtual time), the first window from now. */
  start(untilMs: number): void {
    const every = this.opts.sampleEveryMs;
    for (let at = this.cluster.now + every; at <= untilMs; at += every) {
      this.cluster.at(at, () => this.sampleAll(at - every, at));
    }
  }

  /** Another job on `id`'s machine starts or ends: its background changes from now on. */
  setBackground(id: NodeId, pct: number): void {
    this.backgrounds.set(id, pct);
  }

  private sampleAll(from: number, to: number): void {
    const { leaderWorkPct, followerWorkPct } = this.opts;
    for (const id of this.cluster.ids) {
      const led = leaderShare(this.cluster.node(id).roleChanges, from, to);
      const own = followerWorkPct + led * (leaderWorkPct - followerWorkPct);
      const machine = clamp(this.backgrounds.get(id)! + own);
      this.cluster.setLoad(id, { machine, background: clamp(machine - own) });
    }
  }
}

/** The share of (from, to] a node spent as leader, from its role changes in time order. */
export function leaderShare(
  changes: ReadonlyArray<RoleChange & { at: number }>,
  from: number,
  to: number,
): number {
  let leading = false;
  let since = from;
  let led = 0;
  for (const change of changes) {
    if (change.at >= to) break;
    if (change.at > from && leading) led += change.at - since;
    since = Math.max(from, change.at);
    leading = change.role === 'leader';
  }
  if (leading) led += to - since;
  return led / (to - from);
}
