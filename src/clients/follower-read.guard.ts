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
 * with follower_reads, a follower answers from its copy while the leader's list that copy holds
 * is at most follower_read_max_lag_ms old, saying how old in Rollcall-Lag-Ms
 * (PresenceFollower.followReadLagMs: waits in the follower's socket count, a freeze included).
 * The stream (presence deltas) and the log's commit index both reach a follower every heartbeat
 * interval on the same connection, so that age bounds how far behind the leader both answers
 * are. Older, or on a follower with the option off, LeaderGuard's 403.
 */
@Injectable()
export class FollowerReadGuard implements CanActivate {
  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    private readonly leadership: LeadershipState,
    private readonly replicator: PresenceReplicator,
    private readonly leaderGuard: LeaderGuard,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const lag = this.followerLagMs();
    if (lag === null) return this.leaderGuard.canActivate(context);
    const res: unknown = context.switchToHttp().getResponse();
    const { httpAdapter } = this.adapterHost;
    httpAdapter.setHeader(res, TERM_HEADER, String(this.leadership.current.term));
    httpAdapter.setHeader(res, LAG_HEADER, String(Math.round(lag)));
    return true;
  }

  /** The lag a follower read would have now, or null when this node must not serve one. */
  private followerLagMs(): number | null {
    if (!this.config.followerReads || this.leadership.canServeAsLeader()) return null;
    const lag = this.replicator.followReadLagMs();
    return lag !== null && lag <= this.config.followerReadMaxLagMs ? lag : null;
  }
}
