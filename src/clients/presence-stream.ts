import { LeaseNotHeldError } from '../common/http/leadership-errors';
import { majorityOf } from '../election/consensus';
import type { PeerMessage } from '../election/peer-channel';
import { PresenceConfirmations } from './presence-confirmations';
import { AcksHeard } from './presence-freshness';
import type { PresenceSyncContext } from './presence-sync-context';
import {
  inFrames,
  PRESENCE_DELTA,
  PRESENCE_FULL,
  type PresenceAck,
  type PresenceDelta,
  type PresenceFull,
} from './presence-sync.messages';

/** The batches of a follower held since the last delta to it, taken for the next one (or null). */
export type HeldTaker = (peer: string, term: number) => number[] | null;

/** What the leader's stream must know of a new leader's gathering of copies (PresenceTakeover). */
export interface TakeoverState {
  /** The new leader still waits for its followers' copies: its list goes to nobody yet. */
  readonly waiting: boolean;
  /** Whether a copy of the leader's list may vouch for every client (see PresenceTakeover). */
  readonly listVouched: boolean;
  /**
   * Whether the new leader took in a majority's copies (or every follower's, or outlived the
   * rest): only then does its list hold every heartbeat answered before it led.
   */
  readonly gathered: boolean;
  /** Asks `peer` again for its copy if the leader still lacks it; whether it did. */
  askAgainIfMissing(peer: string): boolean;
}

/**
 * The leader's side of the presence stream: the changes to its online list go to every follower
 * as numbered deltas, and the whole list to a follower that asks or whose copy a new leader
 * took in. Followers acknowledge each; PresenceConfirmations counts how far a majority holds
 * the list, and a heartbeat is answered once a majority holds it.
 */
export class PresenceStream {
  /** The term being streamed (-1 while not leading) and the last delta number sent in it. */
  private leaderTerm = -1;
  private seq = 0;
  /** When the last delta of this term was drained: a copy up to it holds every change before. */
  private lastDrainedAt = -Infinity;
  private readonly confirmations: PresenceConfirmations;
  /** A delta sent at once for waiting heartbeats is out, drained at this time. */
  private urgentDrainedAt: number | null = null;
  private urgentScheduled = false;
  /** What else a delta to a follower carries (ForwardedHeartbeats' held batches). */
  private takeHeld: HeldTaker = () => null;
  /** Each follower's latest acknowledgement, echoed on the deltas to it. */
  private readonly acksHeard = new AcksHeard();

  constructor(
    private readonly ctx: PresenceSyncContext,
    private readonly takeover: TakeoverState,
  ) {
    this.confirmations = new PresenceConfirmations(() => ctx.channel.others);
  }

  /** Whether this node leads in the term it streams. */
  get leading(): boolean {
    const view = this.ctx.leadership.current;
    return this.ctx.isLeading(view) && view.term === this.leaderTerm;
  }

  /** Whether this node leads in `term`, and streams it. */
  leadingTerm(term: number): boolean {
    return this.leading && term === this.leaderTerm;
  }

  /** Whether a follower's message of `term` is about the stream this leader sends now. */
  private streamsIn(term: number): boolean {
    return this.ctx.isLeading(this.ctx.leadership.current) && term === this.leaderTerm;
  }

  /** This node took office in `term`: a new stream starts, and older waits are refused. */
  lead(term: number): void {
    this.ctx.presence.trackChanges(true);
    this.confirmations.restart(new LeaseNotHeldError());
    this.leaderTerm = term;
    this.seq = 0;
    this.lastDrainedAt = -Infinity;
    this.urgentDrainedAt = null;
    this.acksHeard.clear();
  }

  /** This node no longer leads: its copy is the leader's to expire, and every wait is refused. */
  stepDown(): void {
    this.ctx.presence.trackChanges(false);
    this.ctx.presence.setExpiring(false);
    this.leaderTerm = -1;
    this.urgentDrainedAt = null;
    this.close();
  }

  /** Every heartbeat still waiting for a quorum is refused. */
  close(): void {
    this.confirmations.failAll(new LeaseNotHeldError());
  }

  /** Whether a heartbeat applied now, whose client was last seen at `seenBefore`, must wait. */
  needsConfirmation(seenBefore: number, now = this.ctx.clock.monotonicMs()): boolean {
    if (this.ctx.channel.others.length === 0) return false;
    const held = this.confirmations.heldByQuorumUpTo;
    return !(seenBefore < held && now - seenBefore < this.ctx.refreshSlackMs);
  }

  /**
   * Whether this leader's list and `follower`'s copy are a majority of the voters, so that what
   * both hold needs no round: three voters (or two), and a list a copy of may vouch for, so that
   * the follower's copy counts for the next leader as this one's does (PresenceTakeover). With
   * five, a third holder is needed, and the round stays.
   */
  majorityWith(follower: string): boolean {
    const others = this.ctx.channel.others;
    if (!this.takeover.listVouched || !others.includes(follower)) return false;
    return majorityOf(others.length + 1) <= 2;
  }

  /**
   * Settles once a majority holds every change made up to now (rejected if this node stops
   * leading first); a delta goes out at once for it.
   */
  heldSoon(): Promise<void> {
    const waiting = this.confirmations.whenHeld(this.ctx.clock.monotonicMs());
    this.scheduleUrgentDelta();
    return waiting;
  }

  /** `take` gives each delta to a follower the batches of it held since the last one. */
  carryOnDeltas(take: HeldTaker): void {
    this.takeHeld = take;
  }

  /** Whoever waited this long for a quorum gets a 503 and tries again. */
  expireWaits(): void {
    const before = this.ctx.clock.monotonicMs() - 2 * this.ctx.config.electionTimeoutMinMs;
    this.confirmations.expire(before, new LeaseNotHeldError());
  }

  /**
   * The changes since the last delta, to every follower. An empty delta still goes out: it tells
   * followers the stream is alive and lets one that missed a delta notice at once. Deltas follow
   * the full list, which waits for the gathering; the changes keep till then (null is returned
   * then); otherwise the seq of the last frame sent.
   */
  sendDelta(final: boolean): number | null {
    if (this.takeover.waiting) return null;
    const drainedAt = this.ctx.clock.monotonicMs();
    // Only a leader that could answer a read itself dates what it sends: without its lease a
    // newer leader may be answering elsewhere. And only once its list holds every heartbeat
    // answered before it led: it may serve with a vouched list while copies are still out.
    const dated = this.takeover.gathered && this.ctx.leadership.canServeAsLeader();
    const applied = dated ? this.ctx.appliedIndex() : null;
    const { online, offline } = this.ctx.presence.drainChanges();
    const onlineParts = inFrames(online);
    const offlineParts = inFrames(offline);
    const count = Math.max(onlineParts.length, offlineParts.length);
    for (let i = 0; i < count; i++) {
      // A copy holds what was drained now only once it took the last frame: a frame before it
      // vouches only for the previous drain, and dates nothing.
      const last = i === count - 1;
      const delta: PresenceDelta = {
        seq: ++this.seq,
        online: onlineParts[i] ?? [],
        offline: offlineParts[i] ?? [],
        ...(final && last ? { final: true } : {}),
        ...this.partialMark(),
        ...(last && applied !== null ? { applied } : {}),
      };
      this.confirmations.deltaDrained(delta.seq, last ? drainedAt : this.lastDrainedAt);
      const term = this.leaderTerm;
      const datedAt = dated && last ? drainedAt : null;
      this.ctx.channel.sendEach(this.ctx.channel.others, PRESENCE_DELTA, term, delta, (peer) =>
        this.forFollower(peer, term, datedAt),
      );
    }
    this.lastDrainedAt = drainedAt;
    return this.seq;
  }

  /** What a delta carries for `peer` alone, or null; `datedAt`: when drained, if it is dated. */
  private forFollower(
    peer: string,
    term: number,
    datedAt: number | null,
  ): Partial<PresenceDelta> | null {
    const held = this.takeHeld(peer, term);
    const echo = datedAt === null ? null : this.acksHeard.echo(peer, datedAt);
    if (held === null) return echo;
    return echo === null ? { held } : { held, ...echo };
  }

  /** Heartbeats are waiting for a quorum: a delta goes now, one at a time, each taking all. */
  private scheduleUrgentDelta(): void {
    if (this.urgentScheduled || this.urgentDrainedAt !== null) return;
    this.urgentScheduled = true;
    setImmediate(() => {
      this.urgentScheduled = false;
      if (!this.leading || this.takeover.waiting) return;
      this.urgentDrainedAt = this.ctx.clock.monotonicMs();
      this.sendDelta(false);
    });
  }

  /**
   * The leader is about to hand over: its last changes go first, marked as the last. Returns
   * the term and seq of that final delta, or null when none went (not leading, or gathering).
   */
  handOver(): { term: number; seq: number } | null {
    if (!this.leading) return null;
    const seq = this.sendDelta(true);
    return seq === null ? null : { term: this.leaderTerm, seq };
  }

  sendFull(to: string): void {
    const takenAt = this.ctx.clock.monotonicMs();
    const parts = inFrames(this.ctx.presence.snapshot());
    for (const [chunk, records] of parts.entries()) {
      const full: PresenceFull = {
        seq: this.seq,
        chunk,
        chunks: parts.length,
        records,
        ...this.partialMark(),
      };
      this.ctx.channel.send(to, PRESENCE_FULL, this.leaderTerm, { ...full });
    }
    this.confirmations.fullSent(to, this.seq, takenAt);
  }

  /** Frames of a list that may lack clients say so: a copy of it vouches for nothing. */
  private partialMark(): { partial?: true } {
    return this.takeover.listVouched ? {} : { partial: true };
  }

  onAck(e: PeerMessage<PresenceAck>): void {
    if (!this.streamsIn(e.term)) return;
    this.acksHeard.heard(e.from, e.seq, this.ctx.clock.monotonicMs());
    this.confirmations.acknowledged(e.from, e.seq, e.full);
    const urgent = this.urgentDrainedAt;
    if (urgent === null || this.confirmations.heldByQuorumUpTo < urgent) return;
    this.urgentDrainedAt = null;
    if (this.confirmations.waiting > 0) this.scheduleUrgentDelta();
  }

  /** A follower lost its copy or a delta, and asks for the whole list. */
  onRequest(e: PeerMessage<object>): void {
    if (!this.streamsIn(e.term)) return;
    // It lost its copy or a delta: until it takes the full list, it holds nothing for sure.
    this.confirmations.copyLost(e.from);
    this.acksHeard.forget(e.from);
    // While gathering, the full list is not ready; everyone gets it when it is.
    if (this.takeover.waiting) return;
    // Its copy may hold clients this list lacks: it is taken in before the list replaces it.
    if (!this.takeover.askAgainIfMissing(e.from)) this.sendFull(e.from);
  }
}
