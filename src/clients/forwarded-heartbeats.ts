import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
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
import { MAX_ACKED_BATCHES } from './presence-sync.messages';
import { PresenceService } from './presence.service';

/**
 * The leader's side of follower_heartbeats: a batch a follower passed on is applied to the one
 * online list as the leader's own heartbeats are, and acknowledged once a majority holds it, and
 * only while this node still leads in the batch's term. A follower that keeps the batch in its
 * own copy (`holds`) is one holder: with three voters, it and this node are the majority, and
 * the batch is held at once. Otherwise the rule of the leader's own heartbeats applies: at once
 * when a majority already holds every client's previous heartbeat, else once a majority holds
 * the delta that carries them (PresenceReplicator). A batch from another term, or one that
 * reaches a node without its lease, is refused (`held: false`) so the follower answers 503 at
 * once rather than at its timeout.
 *
 * A batch held with its follower as a holder is answered at once, in its own PresenceForwardAck
 * (`holder`), for the order of the follower's copy (answerAsHolder); the frames of one turn to a
 * follower still leave in one write. The other batches held in one turn of the event loop are
 * answered together: on the presence delta that leaves for their follower in that turn, if one
 * does, else in one PresenceForwardAck. Each frame costs the leader more than the heartbeats in
 * it, so it sends as few as it can.
 *
 * Always on, whatever this node's own follower_heartbeats: the setting says whether a node
 * takes heartbeats as a follower, and any leader passes on what they take.
 */
@Injectable()
export class ForwardedHeartbeats implements OnModuleInit {
  /** Held batches not yet answered, by follower: they leave at the end of this turn. */
  private heldFor = new Map<string, { term: number; batches: number[] }>();
  private answerScheduled = false;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly leadership: LeadershipState,
    private readonly presence: PresenceService,
    private readonly replicator: PresenceReplicator,
    private readonly channel: PeerChannel,
    private readonly stats: ClientStats,
  ) {}

  onModuleInit(): void {
    if (this.channel.others.length === 0) return;
    this.channel.on<PresenceForward>(PRESENCE_FORWARD, forwardProblem, (e) => this.onForward(e));
    this.replicator.carryOnDeltas((peer, term) => this.takeHeld(peer, term));
  }

  private onForward(e: PeerMessage<PresenceForward>): void {
    const term = this.leadership.current.term;
    if (!this.leadership.canServeAsLeader() || e.term !== term) {
      this.refuse(e);
      return;
    }
    // A follower that holds what it forwards is, with this node, a majority of three: no round.
    const majorityHolds = e.holds === true && this.replicator.majorityWith(e.from);
    let mustWait = false;
    // One reading of the clock for the batch: its heartbeats were accepted together.
    const now = this.clock.monotonicMs();
    for (const [username, addr] of e.beats) {
      const seenBefore = this.presence.heartbeat(username, addr, now);
      if (!majorityHolds && this.replicator.needsConfirmation(seenBefore, now)) mustWait = true;
    }
    if (majorityHolds) {
      this.answerAsHolder(e);
      return;
    }
    if (!mustWait) {
      this.held(e);
      return;
    }
    this.replicator.heldSoon().then(
      () => {
        const still = this.leadership.canServeAsLeader() && this.leadership.current.term === term;
        if (still) this.held(e);
        else this.refuse(e);
      },
      () => this.refuse(e),
    );
  }

  private held(e: PeerMessage<PresenceForward>): void {
    this.stats.countForwarded(e.from, e.beats.length);
    const waiting = this.heldFor.get(e.from);
    const room = waiting !== undefined && waiting.batches.length < MAX_ACKED_BATCHES;
    if (room && waiting.term === e.term) waiting.batches.push(e.batch);
    else {
      if (waiting) this.answer(e.from, waiting.term, { batches: waiting.batches, held: true });
      this.heldFor.set(e.from, { term: e.term, batches: [e.batch] });
    }
    if (this.answerScheduled) return;
    this.answerScheduled = true;
    // Presence deltas sent before this runs take the answers along (takeHeld).
    setImmediate(() => {
      this.answerScheduled = false;
      const left = this.heldFor;
      this.heldFor = new Map();
      for (const [peer, { term, batches }] of left)
        this.answer(peer, term, { batches, held: true });
    });
  }

  /**
   * Answered in the call that applied it, not at the end of the turn: a delta or full list sent
   * in between would reach the follower before the answer and carry a newer heartbeat of the
   * same client, which the follower's copy of this batch would then overwrite.
   */
  private answerAsHolder(e: PeerMessage<PresenceForward>): void {
    this.stats.countForwarded(e.from, e.beats.length);
    this.answer(e.from, e.term, { batches: [e.batch], held: true, holder: true });
  }

  /** The held batches of `peer` in `term`, for the presence delta about to leave for it. */
  private takeHeld(peer: string, term: number): number[] | null {
    const waiting = this.heldFor.get(peer);
    if (!waiting || waiting.term !== term) return null;
    this.heldFor.delete(peer);
    return waiting.batches;
  }

  private refuse(e: PeerMessage<PresenceForward>): void {
    this.answer(e.from, e.term, { batches: [e.batch], held: false });
  }

  private answer(peer: string, term: number, ack: PresenceForwardAck): void {
    this.channel.send(peer, PRESENCE_FORWARD_ACK, term, ack);
  }
}
