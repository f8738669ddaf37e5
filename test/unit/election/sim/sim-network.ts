import type { Message, NodeId } from '../../../../src/election/consensus';
import type { Prng } from './prng';

/** How the wire behaves right now; a scenario changes it as it goes. */
export interface NetworkConditions {
  dropRate: number;
  duplicateRate: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  /** Share of messages that take a slow path, which reorders them behind later ones. */
  slowRate: number;
  slowMaxLatencyMs: number;
}

export const CALM_NETWORK: NetworkConditions = {
  dropRate: 0,
  duplicateRate: 0,
  minLatencyMs: 1,
  maxLatencyMs: 10,
  slowRate: 0,
  slowMaxLatencyMs: 0,
};

/** Which directed links are cut, and when each copy of a message arrives (or that it never does). */
export class SimNetwork {
  conditions: NetworkConditions = { ...CALM_NETWORK };
  private readonly cut = new Set<string>();

  constructor(
    private readonly ids: readonly NodeId[],
    private readonly rng: Prng,
  ) {}

  canSend(from: NodeId, to: NodeId): boolean {
    return !this.cut.has(`${from}>${to}`);
  }

  /** Delivery delays for the copies of `msg` that survive; empty when it is lost. */
  arrivals(msg: Message): number[] {
    if (!this.canSend(msg.from, msg.to)) return [];
    const c = this.conditions;
    const copies = this.rng.chance(c.duplicateRate) ? 2 : 1;
    const delays: number[] = [];
    for (let i = 0; i < copies; i++) {
      if (this.rng.chance(c.dropRate)) continue;
      delays.push(
        this.rng.chance(c.slowRate)
          ? this.rng.between(c.maxLatencyMs, Math.max(c.maxLatencyMs, c.slowMaxLatencyMs))
          : this.rng.between(c.minLatencyMs, c.maxLatencyMs),
      );
    }
    return delays;
  }

  /** Nodes in different groups cannot talk; a node in no group talks to nobody. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.cut.clear();
    const groupOf = new Map<NodeId, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const a of this.ids) {
      for (const b of this.ids) {
        if (a === b) continue;
        const ga = groupOf.get(a);
        if (ga === undefined || ga !== groupOf.get(b)) this.cut.add(`${a}>${b}`);
      }
    }
  }

  isolate(id: NodeId): void {
    for (const other of this.ids) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }
}
