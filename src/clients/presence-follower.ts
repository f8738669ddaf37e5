import type { PeerMessage } from '../election/peer-channel';
import type { PresenceSyncContext } from './presence-sync-context';
import {
  PRESENCE_ACK,
  PRESENCE_SYNC_REQUEST,
  type PresenceAck,
  type PresenceDelta,
  type PresenceFull,
} from './presence-sync.messages';
import type { PresenceRecord } from './presence.service';

/** Told of the batches a delta from `from` in `term` says a majority holds. */
export type HeldListener = (from: string, term: number, batches: number[]) => void;

/**
 * A follower's side of the presence stream: it applies the leader's full list and then its
 * deltas in sequence, acknowledging each, and asks for everything when it misses one. Its copy
 * is what it reports to a new leader (PresenceTakeover) and what follower reads serve.
 */
export class PresenceFollower {
  /** Which stream it follows and the last delta applied. */
  private followTerm = -1;
  private followSeq: number | null = null;
  private fullRequestedAt = -Infinity;
  private assembling: { term: number; seq: number; records: PresenceRecord[] } | null = null;
  /** The last delta of a leader that handed over, as `{term, seq, from}`. */
  private handedOver: { term: number; seq: number; from: string } | null = null;
  /** When it last took a leader's stream, and whose. */
  private syncedFromLeader: { term: number; from: string; at: number } | null = null;
  /** Told of the held batches a delta from the leader carries (HeartbeatForwarder). */
  private heldListeners: HeldListener[] = [];

  constructor(private readonly ctx: PresenceSyncContext) {}

  /** `listener` gets every held-batch list a delta from a leader carries. */
  onHeldInDelta(listener: HeldListener): void {
    this.heldListeners.push(listener);
  }

  /**
   * Ms since its copy last took the current leader's stream (a delta or the full list, sent
   * every heartbeat interval), or null while it follows no leader's stream of the current term.
   * How far behind the leader follower reads may be, and whether the leader is in reach for
   * follower heartbeats.
   */
  followLagMs(): number | null {
    const view = this.ctx.leadership.current;
    const synced = this.syncedFromLeader;
    if (view.role !== 'follower' || synced === null) return null;
    if (synced.term !== view.term || synced.from !== view.leader) return null;
    return Math.max(0, this.ctx.clock.monotonicMs() - synced.at);
  }

  /** As followLagMs, but null while this follower's copy may lack clients: no read from it. */
  followReadLagMs(): number | null {
    return this.ctx.copyComplete ? this.followLagMs() : null;
  }

  /**
   * Who handed this node the whole list it holds for `term`, taking office: the leader of the
   * term before, whose last delta (marked final) this complete copy applied, with nothing
   * since. Null otherwise: the new leader gathers its followers' copies.
   */
  handedOverFor(term: number): string | null {
    const handed = this.handedOver;
    if (!this.ctx.copyKnown || handed === null) return null;
    const inStep =
      term === handed.term + 1 && this.followTerm === handed.term && this.followSeq === handed.seq;
    return inStep ? handed.from : null;
  }

  onDelta(e: PeerMessage<PresenceDelta>): void {
    // Whoever the listener sent those batches to checks the sender and term itself; they count
    // even when this delta itself cannot be applied.
    const held = e.held;
    if (held !== undefined)
      for (const listener of this.heldListeners) listener(e.from, e.term, held);
    if (!this.fromLeader(e)) return;
    if (e.term !== this.followTerm || this.followSeq === null || e.seq !== this.followSeq + 1) {
      this.requestFull(e);
      return;
    }
    this.ctx.presence.apply(e);
    this.ctx.copyComplete = e.partial !== true;
    this.followSeq = e.seq;
    this.synced(e);
    if (e.final === true) this.handedOver = { term: e.term, seq: e.seq, from: e.from };
    this.acknowledge(e, e.seq, false);
  }

  onFull(e: PeerMessage<PresenceFull>): void {
    if (!this.fromLeader(e)) return;
    if (e.chunk === 0) this.assembling = { term: e.term, seq: e.seq, records: [] };
    const a = this.assembling;
    if (!a || a.term !== e.term || a.seq !== e.seq) return; // a chunk of a list we did not start
    a.records.push(...e.records);
    if (e.chunk < e.chunks - 1) return;
    this.assembling = null;
    this.ctx.presence.replaceAll(a.records);
    this.ctx.copyComplete = e.partial !== true;
    this.followTerm = e.term;
    this.followSeq = e.seq;
    this.synced(e);
    this.acknowledge(e, e.seq, true);
    this.ctx.logger.debug(`shadow list from leader ${e.from}: ${a.records.length} clients online`);
  }

  /** Only the current leader's stream counts; anything else is stale and ignored. */
  private fromLeader(e: PeerMessage<object>): boolean {
    const view = this.ctx.leadership.current;
    return e.from === view.leader && e.term === view.term && !this.ctx.isLeading(view);
  }

  private synced(e: PeerMessage<object>): void {
    this.ctx.lastSyncAt = this.ctx.clock.monotonicMs();
    this.syncedFromLeader = { term: e.term, from: e.from, at: this.ctx.lastSyncAt };
  }

  private acknowledge(e: PeerMessage<object>, seq: number, full: boolean): void {
    const ack: PresenceAck = { seq, full };
    this.ctx.channel.send(e.from, PRESENCE_ACK, e.term, { ...ack });
  }

  private requestFull(e: PeerMessage<object>): void {
    // One request per election timeout: the full list is on its way or was lost.
    const now = this.ctx.clock.monotonicMs();
    const askedLately = now - this.fullRequestedAt < this.ctx.config.electionTimeoutMinMs;
    if (askedLately && e.term === this.followTerm) return;
    this.fullRequestedAt = now;
    this.followTerm = e.term;
    this.ctx.channel.send(e.from, PRESENCE_SYNC_REQUEST, e.term, {});
  }
}
