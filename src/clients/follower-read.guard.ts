import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState } from '../election/leadership-state';
import { LeaderGuard, TERM_HEADER } from './leader.guard';
import { PresenceReplicator } from './presence-replicator';

/** How far behind the leader a follower's answer may be, in ms (follower_reads). */
export const LAG_HEADER = 'Rollcall-Lag-Ms';

/**
 * The guard of GET /discover and GET /users: the leader answers them as before (LeaderGuard);
 * with follower_reads, a follower answers from its copy while that copy is at most
 * follower_read_max_lag_ms old, saying how old in Rollcall-Lag-Ms. A copy's age counts from when
 * the leader drained the delta that dated it, waits in the follower's socket included (a freeze
 * too). Older, or on a follower with the option off, LeaderGuard's 403. Each route's copy is its
 * own: DiscoverReadGuard's online list, UsersReadGuard's registry.
 */
@Injectable()
export abstract class FollowerReadGuard implements CanActivate {
  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    private readonly leadership: LeadershipState,
    protected readonly replicator: PresenceReplicator,
    private readonly leaderGuard: LeaderGuard,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** How old the copy this route answers from may be, in ms; null: it must not answer. */
  protected abstract copyLagMs(): number | null;

  canActivate(context: ExecutionContext): boolean {
    const lag = this.followerLagMs();
    if (lag === null) return this.leaderGuard.canActivate(context);
    const res: unknown = context.switchToHttp().getResponse();
    const { httpAdapter } = this.adapterHost;
    httpAdapter.setHeader(res, TERM_HEADER, String(this.leadership.current.term));
    // Rounded up: the header never says the copy is newer than it is.
    httpAdapter.setHeader(res, LAG_HEADER, String(Math.ceil(lag)));
    return true;
  }

  /** The lag a follower read would have now, or null when this node must not serve one. */
  private followerLagMs(): number | null {
    if (!this.config.followerReads || this.leadership.canServeAsLeader()) return null;
    const lag = this.copyLagMs();
    return lag !== null && lag <= this.config.followerReadMaxLagMs ? lag : null;
  }
}

/** GET /discover: the follower's copy of the leader's online list (followReadLagMs). */
@Injectable()
export class DiscoverReadGuard extends FollowerReadGuard {
  protected copyLagMs(): number | null {
    return this.replicator.followReadLagMs();
  }
}

/**
 * GET /users: the follower's registry (followRegistryLagMs). It is dated apart from the online
 * list: the leader's commit index reaches a follower on its next AppendEntries, which may leave
 * after a delta drained once the registration was answered.
 */
@Injectable()
export class UsersReadGuard extends FollowerReadGuard {
  protected copyLagMs(): number | null {
    return this.replicator.followRegistryLagMs();
  }
}
