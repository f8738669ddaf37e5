import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { LeaderElsewhereError, LeaseNotHeldError } from '../common/http/leadership-errors';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import type { Status } from './consensus/core-output';
import type { MembershipChange } from './consensus/membership';
import { handOver } from './hand-over';
import { TransferTimedOutError } from './leader-transfer';
import { LeadershipState } from './leadership-state';
import { MembershipConflictError } from './membership-errors';
import { PeerDirectory } from './peer-directory';
import { ReplicatedLog } from './replicated-log';

/** One member as GET /cluster/members lists it. */
export interface MemberView {
  node: string;
  api_url: string;
  role: 'voter' | 'learner';
  match_index: number;
  reachable: boolean;
}

export interface MemberListView {
  members: MemberView[];
  config_index: number;
}

/** What GET / says of this node's place in the membership. */
export interface OwnMembershipView {
  role: 'voter' | 'learner' | 'removed';
  config_index: number;
}

/**
 * The operator's membership changes (`rollcall members ...`), one at a time, on the leader:
 * each answers once the change is committed. Removing the leader hands leadership over first;
 * the request then goes to the new leader (a 403 naming it), which removes the old one.
 */
@Injectable()
export class MembershipService {
  private readonly logger = new Logger('Membership');

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly log: ReplicatedLog,
    private readonly peers: PeerDirectory,
    private readonly leadership: LeadershipState,
  ) {}

  list(): MemberListView {
    const s = this.status();
    const members = [...s.membership.voters, ...s.membership.learners].sort();
    return {
      members: members.map((node) => this.memberView(s, node)),
      config_index: s.membership.index,
    };
  }

  own(): OwnMembershipView {
    const s = this.log.status();
    return { role: s?.selfRole ?? 'voter', config_index: s?.membership.index ?? 0 };
  }

  add(node: string, apiUrl: string, learner: boolean): Promise<MemberListView> {
    return this.change({ kind: 'add', node, apiUrl, learner });
  }

  promote(node: string): Promise<MemberListView> {
    return this.change({ kind: 'promote', node });
  }

  async remove(node: string): Promise<MemberListView> {
    if (node === this.config.thisNode) await this.handOverBeforeRemoval();
    return this.change({ kind: 'remove', node });
  }

  private async change(change: MembershipChange): Promise<MemberListView> {
    await this.log.changeMembership(change);
    this.logger.log(`membership change committed: ${describe(change)}`);
    return this.list();
  }

  /** The leader cannot remove itself: it hands over, and sends the operator to its successor. */
  private async handOverBeforeRemoval(): Promise<never> {
    const limitMs = this.config.electionTimeoutMinMs;
    const { target, moved } = await handOver(this.log, this.clock, {
      reason: 'operator',
      limitMs,
    });
    if (target === null) {
      throw new MembershipConflictError(
        'unsafe',
        `${this.config.thisNode} leads, and no voter can take over now (none is up to date and heard from recently): it stays`,
      );
    }
    if (!moved) throw new TransferTimedOutError(target, limitMs);
    this.logger.log(`handed leadership to ${target} before being removed`);
    const { leader, leaderApi } = this.leadership.current;
    throw new LeaderElsewhereError(leader ?? target, leaderApi ?? this.peers.apiOf(target));
  }

  private status(): Status {
    const s = this.log.status();
    if (s === null) throw new LeaseNotHeldError();
    return s;
  }

  private memberView(s: Status, node: string): MemberView {
    const role = s.membership.voters.includes(node) ? 'voter' : 'learner';
    const api = s.membership.apiUrls[node] ?? this.peers.apiOf(node);
    if (node === s.id) {
      return { node, api_url: this.config.apiUrl, role, match_index: s.lastIndex, reachable: true };
    }
    const peer = s.peers.find((p) => p.id === node);
    const heard = peer?.lastContact ?? null;
    const now = this.clock.monotonicMs();
    return {
      node,
      api_url: api ?? '',
      role,
      match_index: peer?.matchIndex ?? 0,
      reachable: heard !== null && now - heard < this.config.electionTimeoutMinMs,
    };
  }
}

function describe(change: MembershipChange): string {
  switch (change.kind) {
    case 'add':
      return `added ${change.node} (${change.apiUrl}) as a ${change.learner ? 'learner' : 'voter'}`;
    case 'promote':
      return `promoted ${change.node} to voter`;
    case 'remove':
      return `removed ${change.node}`;
  }
}
