import { Logger } from '@nestjs/common';
import type { Clock } from '../common/clock';
import type { ClusterConfig } from '../config/cluster-config';
import type { LeadershipState, LeadershipView } from '../election/leadership-state';
import type { PeerChannel } from '../election/peer-channel';
import type { PresenceService } from './presence.service';

/**
 * What the parts of the presence sync (PresenceStream, PresenceFollower, PresenceTakeover)
 * share: the node's services, and what this node knows of its own copy of the online list.
 * PresenceReplicator builds one and hands it to each part.
 */
export class PresenceSyncContext {
  readonly logger = new Logger('PresenceSync');
  /**
   * A refresh is answered at once when a majority holds the client's previous heartbeat and it
   * is younger than this; a new leader forgives every age by as much, so no refresh it did not
   * hear of costs its client any time online.
   */
  readonly refreshSlackMs: number;
  /** When this node last had the leader's list: from the leader, or by being it. */
  lastSyncAt: number | null = null;
  /**
   * Whether this node's copy knows every client online: it came whole from a leader's stream
   * (not one marked partial), or this node led with a list it vouched for (set as it steps
   * down). Only such a copy counts for a new leader's majority of copies, or serves follower
   * reads.
   */
  copyComplete = false;

  constructor(
    readonly config: ClusterConfig,
    readonly clock: Clock,
    readonly leadership: LeadershipState,
    readonly presence: PresenceService,
    readonly channel: PeerChannel,
    /** How far this node applied the replicated log; null where no log is wired (unit tests). */
    readonly appliedIndex: () => number | null = () => null,
  ) {
    this.refreshSlackMs = 2 * config.heartbeatIntervalMs;
  }

  /** Whether this node's copy counts for a new leader: complete, and had since it started. */
  get copyKnown(): boolean {
    return this.lastSyncAt !== null && this.copyComplete;
  }

  isLeading(view: Readonly<LeadershipView>): boolean {
    return view.role === 'leader' && view.leader === this.config.thisNode;
  }
}
