import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import type { RaftRole, RoleChange, Status } from './consensus/core-output';
import { LeadershipState, toPublicRole } from './leadership-state';
import { PeerDirectory } from './peer-directory';

/** Tells the rest of the node (LeadershipState) what the election decided, and logs it. */
@Injectable()
export class LeadershipPublisher {
  private readonly logger = new Logger('Election');

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    private readonly leadership: LeadershipState,
    private readonly peers: PeerDirectory,
  ) {}

  /** One change of role, with the core's reason: logged, and announced for events and metrics. */
  roleChanged(change: RoleChange): void {
    const leader = change.leader ? `, leader ${change.leader}` : '';
    this.logger.log(
      `${describeRole(change.role)} in term ${change.term}${leader} (reason: ${change.reason})`,
    );
    this.leadership.announce({
      role: toPublicRole(change.role),
      term: change.term,
      leader: change.leader ?? null,
      reason: change.reason,
    });
  }

  /** Who leads now; `leaseValid` is asked on every leader-only request, so it must be cheap. */
  publish(s: Pick<Status, 'role' | 'term' | 'leader'>, leaseValid: () => boolean): void {
    const leaderApi =
      s.leader === null
        ? null
        : s.leader === this.config.thisNode
          ? this.config.apiUrl
          : this.peers.apiOf(s.leader);
    this.leadership.update(
      { role: toPublicRole(s.role), term: s.term, leader: s.leader, leaderApi },
      leaseValid,
    );
  }

  /** This leader's AppendEntries just left, the view already published. */
  appendsSent(): void {
    this.leadership.appendsSent();
  }

  /** Just before the TimeoutNow to `successor` leaves, on the same connection. */
  handingOver(successor: string): void {
    this.leadership.handingOver(successor);
  }
}

function describeRole(role: RaftRole): string {
  return role === 'leader' ? 'became leader' : role;
}
