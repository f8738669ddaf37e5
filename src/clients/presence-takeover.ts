import { majorityOf } from '../election/consensus';
import type { PeerMessage } from '../election/peer-channel';
import type { HandedList } from './presence-follower';
import { PresenceGathering } from './presence-gathering';
import type { PresenceStream, TakeoverState } from './presence-stream';
import type { PresenceSyncContext } from './presence-sync-context';
import {
  PRESENCE_GATHER,
  type PresenceGatherAsk,
  type PresenceReport,
} from './presence-sync.messages';
import type { PresenceRecord } from './presence.service';

/** What the takeover asks of the leader's stream. */
export type StreamHandle = Pick<PresenceStream, 'leadingTerm' | 'sendFull'>;

/**
 * How a new leader comes by a list it may serve, so that a heartbeat answered 200 is in every
 * later leader's /discover: it gathers its followers' copies (PresenceGathering), waiting for a
 * majority's a short while, then serves and keeps asking for the copies still out. Handed the
 * whole list by its predecessor, it names that list, and a node whose copy holds nothing that
 * list lacks answers in a word instead of sending it (that side is PresenceFollower.onGather).
 */
export class PresenceTakeover implements TakeoverState {
  /** The followers' copies still awaited, while this new leader's list may lack clients. */
  private gather: PresenceGathering | null = null;
  /** The list this leader was handed, named in its asks; null when it was handed none. */
  private handed: HandedList | null = null;

  constructor(
    private readonly ctx: PresenceSyncContext,
    private readonly stream: StreamHandle,
  ) {}

  /**
   * While a new leader waits for its followers' copies: settles when enough are in or its wait
   * ran out (see PresenceGathering); /discover waits for it, then checks `missingCopies`.
   */
  get gathering(): Promise<void> | null {
    return this.gather?.waiting ? this.gather.done : null;
  }

  /**
   * Leader: the followers whose copies of the online list it has not taken in while its own
   * may lack clients (not one copy in came whole from a leader); empty otherwise.
   */
  get missingCopies(): string[] {
    return this.gather && !this.gather.vouched ? [...this.gather.awaited] : [];
  }

  get waiting(): boolean {
    return this.gather?.waiting ?? false;
  }

  get gathered(): boolean {
    return this.gather === null;
  }

  /**
   * Leader: whether its list is one a copy of may vouch for: no gathering left, or one past its
   * wait with a copy in that came whole from a leader (then it serves, asking for the rest).
   */
  get listVouched(): boolean {
    const g = this.gather;
    return g === null || (!g.waiting && g.vouched);
  }

  askAgainIfMissing(peer: string): boolean {
    const g = this.gather;
    if (!g?.awaited.has(peer)) return false;
    this.ask(peer, g.term);
    return true;
  }

  /**
   * Asks every follower it can reach for its copy. Its own may lack clients: it restarted and
   * holds nobody, or it was cut off while others heard of new clients. Handed the list, it
   * still asks: its predecessor may have abandoned the handover, led on and answered heartbeats
   * that only the followers that heard its later deltas hold.
   */
  startGathering(
    term: number,
    ownKnown: boolean,
    ownSyncAt: number | null,
    handed: HandedList | null,
  ): void {
    const { config, channel, clock } = this.ctx;
    this.drop();
    this.handed = handed;
    // Every follower is asked, also one out of reach now: it is asked again every interval.
    const awaited = new Set(channel.others);
    for (const peer of awaited) this.ask(peer, term);
    const boundMs = Math.min(config.electionTimeoutMinMs, 5 * config.heartbeatIntervalMs);
    const quorum = majorityOf(channel.others.length + 1);
    this.gather = new PresenceGathering(
      term,
      awaited,
      ownKnown,
      ownSyncAt,
      quorum,
      boundMs,
      clock.monotonicMs(),
      config.clientTimeoutMs,
      () => this.stopWaiting(`no majority of copies within ${boundMs} ms`),
    );
  }

  /** Copies not in yet are asked for again: an ask or a report was lost, or a node is back. */
  askAgain(): void {
    const g = this.gather;
    if (!g) return;
    if (!g.waiting && g.outlived(this.ctx.clock.monotonicMs())) {
      const lacking = [...g.awaited].join(', ');
      return this.listWhole(g, `every client the copies of ${lacking} could hold has timed out`);
    }
    for (const peer of g.awaited) this.ask(peer, g.term);
  }

  private ask(peer: string, term: number): void {
    const h = this.handed;
    const ask: PresenceGatherAsk = h === null ? {} : { handedTerm: h.term, handedSeq: h.seq };
    this.ctx.channel.send(peer, PRESENCE_GATHER, term, { ...ask });
  }

  drop(): void {
    const g = this.gather;
    this.gather = null;
    this.handed = null;
    g?.finish();
  }

  /** A leader that abandoned its own handover and won the next term took back its own list. */
  private handedAndGathering(h: HandedList): string {
    return h.from === this.ctx.config.thisNode
      ? `its own list, handed over in term ${h.term} and taken back, and gathering`
      : `the list handed over by ${h.from} and gathering`;
  }

  onReport(e: PeerMessage<PresenceReport>): void {
    const g = this.gather;
    if (!g || e.term !== g.term) return;
    if (e.inStep === true && this.handed === null) {
      // Only an answer to an ask that named a list can say it holds just that list.
      this.ctx.logger.debug(`ignored ${e.from}'s word of holding a list this leader never named`);
      return;
    }
    const copy = g.take(e.from, e, this.ctx.clock.monotonicMs());
    if (copy === null) return;
    if (!g.waiting) return this.takeLateCopy(g, e.from, copy);
    g.copies.push(copy);
    if (g.complete) {
      this.stopWaiting(g.awaited.size === 0 ? 'every follower answered' : 'a majority is in');
    }
  }

  /**
   * Makes this new leader's list the one it serves: its own copy and the followers' (ages as
   * sent), every timeout pushed back by the time there was no leader to take heartbeats (at
   * most one client timeout) and by the refresh slack, so nobody drops out for the election's
   * sake; then time takes clients offline again.
   */
  private settleOnline(
    term: number,
    latestSyncAt: number | null,
    copies: PresenceRecord[][],
    from: string,
  ): number {
    const { config, presence } = this.ctx;
    const now = this.ctx.clock.monotonicMs();
    const withoutLeader = latestSyncAt === null ? 0 : Math.max(0, now - latestSyncAt);
    const forgiveMs = Math.min(config.clientTimeoutMs, withoutLeader) + this.ctx.refreshSlackMs;
    presence.extendBy(forgiveMs);
    let added = 0;
    for (const copy of copies) added += presence.merge(youngerBy(copy, forgiveMs));
    presence.setExpiring(true);
    const news = copies.length > 0 ? `, ${added} of them from followers' copies` : '';
    this.ctx.logger.log(
      `leading term ${term} with ${presence.count} clients online from ${from}${news} ` +
        `(timeouts pushed back ${Math.round(forgiveMs)} ms for the time without a leader)`,
    );
    return forgiveMs;
  }

  /**
   * The new leader serves from now on: with the copies in, and its list sent to each follower
   * whose copy it holds. Whoever it lacks keeps its copy till it is asked again and answers.
   */
  private stopWaiting(why: string): void {
    const g = this.gather;
    if (!g?.waiting) return;
    if (!this.stream.leadingTerm(g.term)) return this.drop();
    const lacking = [...g.awaited].join(', ');
    const missing = g.awaited.size > 0 ? `; not waiting for ${lacking}` : '';
    const h = this.handed;
    const source = h === null ? 'gathering' : this.handedAndGathering(h);
    const inStep = g.inStepCopies > 0 ? `; ${g.inStepCopies} in step with that list` : '';
    const forgiveMs = this.settleOnline(
      g.term,
      g.latestSyncAt,
      g.copies,
      `${source} (${why}${missing}${inStep})`,
    );
    g.stopWaiting(forgiveMs);
    g.copies.length = 0;
    if (g.complete) this.gather = null;
    else if (g.vouched) this.ctx.logger.log(`term ${g.term}: still asking ${lacking} for copies`);
    else {
      this.ctx.logger.warn(
        `term ${g.term}: the online list may lack clients only ${lacking} know of ` +
          `(no copy in came whole from a leader): /discover answers 503 until their copies are in, ` +
          `or for at most ${this.ctx.config.clientTimeoutMs} ms, when all such clients have timed out`,
      );
    }
    for (const peer of this.ctx.channel.others)
      if (!g.awaited.has(peer)) this.stream.sendFull(peer);
  }

  /** A copy that came in after the leader stopped waiting, from a follower back in reach. */
  private takeLateCopy(g: PresenceGathering, from: string, copy: PresenceRecord[]): void {
    const added = this.ctx.presence.merge(youngerBy(copy, g.forgiveMs ?? 0));
    const took = `the copy of ${from} is in, with ${added} clients the list lacked`;
    if (g.complete) this.listWhole(g, took);
    else this.ctx.logger.log(`term ${g.term}: ${took}; still missing ${[...g.awaited].join(', ')}`);
    this.stream.sendFull(from);
  }

  private listWhole(g: PresenceGathering, why: string): void {
    this.gather = null;
    this.ctx.logger.log(`term ${g.term}: the online list is whole again (${why})`);
  }
}

/** A copy's records read `byMs` younger, as a new leader reads every copy it takes in. */
function youngerBy(copy: PresenceRecord[], byMs: number): PresenceRecord[] {
  return copy.map(([name, addr, age]): PresenceRecord => [name, addr, Math.max(0, age - byMs)]);
}
