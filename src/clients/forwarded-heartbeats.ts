import { Injectable, type OnModuleInit } from '@nestjs/common';
import { LeadershipState } from '../election/leadership-state';
import { PeerChannel, type PeerMessage } from '../election/peer-channel';
import { ClientStats } from './client-stats';
import {
  forwardProblem,
  PRESENCE_FORWARD,
  PRESENCE_FORWARD_ACK,
  type PresenceForward,
  type PresenceForwardAck,
} from './heartbeat-forward.messages';
import { PresenceReplicator } from './presence-replicator';
import { PresenceService } from './presence.service';

/**
 * The leader's side of follower_heartbeats: a batch a follower passed on is applied to the one
 * online list as the leader's own heartbeats are, and acknowledged under the same rule: at once
 * when a majority already holds every client's previous heartbeat, else once a majority holds
 * the delta that carries them (PresenceReplicator), and only while this node still leads in the
 * batch's term. A batch from another term, or one that reaches a node without its lease, is
 * refused (`held: false`) so the follower answers 503 at once rather than at its timeout.
 *
 * Always on, whatever this node's own follower_heartbeats: the setting says whether a node
 * takes heartbeats as a follower, and any leader passes on what they take.
 */
@Injectable()
export class ForwardedHeartbeats implements OnModuleInit {
  constructor(
    private readonly leadership: LeadershipState,
    private readonly presence: PresenceService,
    private readonly replicator: PresenceReplicator,
    private readonly channel: PeerChannel,
    private readonly stats: ClientStats,
  ) {}

  onModuleInit(): void {
    if (this.channel.others.length === 0) return;
    this.channel.on<PresenceForward>(PRESENCE_FORWARD, forwardProblem, (e) => this.onForward(e));
  }

  private onForward(e: PeerMessage<PresenceForward>): void {
    const term = this.leadership.current.term;
    if (!this.leadership.canServeAsLeader() || e.term !== term) {
      this.answer(e, false);
      return;
    }
    let mustWait = false;
    for (const [username, addr] of e.beats) {
      const seenBefore = this.presence.heartbeat(username, addr);
      if (this.replicator.needsConfirmation(seenBefore)) mustWait = true;
    }
    if (!mustWait) {
      this.held(e);
      return;
    }
    this.replicator.heldSoon().then(
      () => {
        const still = this.leadership.canServeAsLeader() && this.leadership.current.term === term;
        if (still) this.held(e);
        else this.answer(e, false);
      },
      () => this.answer(e, false),
    );
  }

  private held(e: PeerMessage<PresenceForward>): void {
    this.stats.countForwarded(e.from, e.beats.length);
    this.answer(e, true);
  }

  private answer(e: PeerMessage<PresenceForward>, held: boolean): void {
    const ack: PresenceForwardAck = { batch: e.batch, held };
    this.channel.send(e.from, PRESENCE_FORWARD_ACK, e.term, { ...ack });
  }
}
