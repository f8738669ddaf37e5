import type { MembershipChange, NodeId } from '../../../../src/election/consensus';
import type { Prng } from './prng';
import type { SimCluster } from './sim-cluster';

/** What the random membership changes of one run did, so a suite can tell it exercised them. */
export interface MembershipTally {
  /** Changes the leader appended. */
  appended: number;
  /** Refusals by reason (in-flight, unsafe, behind, ...). */
  refused: Record<string, number>;
  /** Removals of the leader itself: handed over first, then removed by the next leader. */
  leaderHandovers: number;
}

/**
 * An operator changing the membership at random while faults go on: adds a new node (as a
 * learner, or a voter at once), promotes a learner, removes a member, the leader included
 * (which hands over first, as the HTTP route does, and is removed by its successor).
 */
export class MembershipChanger {
  readonly tally: MembershipTally = { appended: 0, refused: {}, leaderHandovers: 0 };

  constructor(
    private readonly cluster: SimCluster,
    private readonly rng: Prng,
  ) {}

  randomChange(): void {
    const leader = this.cluster.leaders()[0];
    if (leader === undefined) return;
    const change = this.pickChange(leader);
    if (change !== null) this.ask(leader, change);
  }

  private pickChange(leader: NodeId): MembershipChange | null {
    const c = this.cluster;
    const r = this.rng;
    const { voters, learners } = c.status(leader)!.membership;
    const members = [...voters, ...learners];
    const outside = c.ids.filter((id) => !members.includes(id));
    const roll = r.next();
    if (roll < 0.35 && outside.length > 0) {
      const node = r.pick(outside);
      return { kind: 'add', node, apiUrl: `http://${node}`, learner: r.chance(0.8) };
    }
    if (roll < 0.65 && learners.length > 0) return { kind: 'promote', node: r.pick(learners) };
    return { kind: 'remove', node: r.pick(members) };
  }

  private ask(leader: NodeId, change: MembershipChange): void {
    const c = this.cluster;
    const result = c.changeMembership(leader, change);
    if (result === null) return;
    if (!('reason' in result)) {
      this.tally.appended++;
      return;
    }
    this.tally.refused[result.reason] = (this.tally.refused[result.reason] ?? 0) + 1;
    if (result.reason !== 'leader') return;
    // As DELETE /cluster/members/<leader> does: hand over, then the next leader removes it.
    if (c.transferLeadership(leader, 'operator') === null) return;
    this.tally.leaderHandovers++;
    c.at(c.now + this.rng.between(500, 3000), () => {
      const next = c.leaders()[0];
      if (next !== undefined && next !== leader) this.ask(next, change);
    });
  }
}
