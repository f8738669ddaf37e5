import { Inject, Injectable } from '@nestjs/common';
import { PresenceService } from '../clients/presence.service';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState, type RoleChangeEvent } from '../election/leadership-state';
import type { ClusterEvent, ClusterEventKind } from './cluster-event';
import { EventRing } from './event-ring';
import { PresenceBatch } from './presence-batch';

export const EVENTS_KEPT = 100;
/** Presence changes of one kind within this long of the batch's first are one line. */
export const BATCH_WINDOW_MS = 1000;

// A handover shows on both ends: the leader hands over, the target is told to start at once.
const TRANSFER = /^(transfer to |timeout-now from )/;

/**
 * What this node saw lately: its role changes (with the election's reason) and clients coming
 * and going, for the dashboard. In memory only: it is a view of the recent past, not a log.
 */
@Injectable()
export class EventsService {
  private readonly ring = new EventRing<ClusterEvent>(EVENTS_KEPT);
  private readonly batches = new Map<'online' | 'expiry', PresenceBatch>();

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly leadership: LeadershipState,
    presence: PresenceService,
  ) {
    leadership.onRoleChange((change) => this.roleChanged(change));
    // Offline means expired here or, on a follower, expired on the leader: either way an expiry.
    presence.onEvent((e) => this.presence(e.kind === 'online' ? 'online' : 'expiry', e.username));
  }

  recent(): ClusterEvent[] {
    return this.ring.newestFirst().map((e) => ({ ...e }));
  }

  private roleChanged(change: RoleChangeEvent): void {
    const kind: ClusterEventKind = TRANSFER.test(change.reason) ? 'transfer' : 'election';
    const leader = change.leader && change.role !== 'leader' ? `, leader ${change.leader}` : '';
    this.ring.push({
      ...this.stamp(kind, change.term),
      message: `${this.config.thisNode} became ${change.role} in term ${change.term}${leader} (${change.reason})`,
    });
  }

  private presence(kind: 'online' | 'expiry', username: string): void {
    const now = this.clock.monotonicMs();
    let batch = this.batches.get(kind);
    if (!batch || now - batch.openedAt >= BATCH_WINDOW_MS) {
      const event = { ...this.stamp(kind, this.leadership.current.term), message: '', count: 0 };
      batch = new PresenceBatch(event, now, kind === 'online' ? 'came online' : 'went offline');
      this.batches.set(kind, batch);
      this.ring.push(event);
    }
    batch.add(username);
  }

  private stamp(kind: ClusterEventKind, term: number): Omit<ClusterEvent, 'message'> {
    const at = new Date(this.clock.wallMs()).toISOString();
    return { at, kind, node: this.config.thisNode, term, count: 1 };
  }
}
