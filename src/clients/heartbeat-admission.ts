import { Inject, Injectable } from '@nestjs/common';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState } from '../election/leadership-state';
import { HeartbeatForwarder } from './heartbeat-forwarder';
import { LeaderGuard, TERM_HEADER } from './leader.guard';

/** Names the node that took a heartbeat as a follower (follower_heartbeats). */
export const VIA_HEADER = 'Rollcall-Via';

/** Which role a heartbeat is taken in: as the leader's own, or by a follower passing it on. */
export type HeartbeatVia = 'leader' | 'follower';

/** A heartbeat let in: the term it was let in under, and in which role. */
export interface Admission {
  term: number;
  via: HeartbeatVia;
}

/**
 * Whether this node takes a heartbeat now, the one decision of POST /heartbeat on both
 * platforms (HeartbeatGuard, HeartbeatEndpoint): a leader holding its lease takes it as its
 * own; with follower_heartbeats, a follower that had its leader's stream within its lease takes
 * it to pass on (HeartbeatForwarder), one that had not refuses with 503; anything else is
 * LeaderGuard's answer (403 naming the leader, or 503), the seed's.
 */
@Injectable()
export class HeartbeatAdmission {
  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    private readonly leadership: LeadershipState,
    private readonly forwarder: HeartbeatForwarder,
    private readonly guard: LeaderGuard,
  ) {}

  /** The admission, or throws the error that refuses the heartbeat. */
  admit(): Admission {
    if (this.forwarder.enabled && !this.leadership.canServeAsLeader()) {
      const { role, leader, term } = this.leadership.current;
      if (role === 'follower' && leader !== null) {
        if (!this.forwarder.inReach()) throw this.forwarder.outOfReach();
        return { term, via: 'follower' };
      }
    }
    return { term: this.guard.admit(), via: 'leader' };
  }

  /** The headers of an answer to a heartbeat let in so. */
  headersOf(admission: Admission): [name: string, value: string][] {
    const term: [string, string] = [TERM_HEADER, String(admission.term)];
    return admission.via === 'leader' ? [term] : [term, [VIA_HEADER, this.config.thisNode]];
  }
}
