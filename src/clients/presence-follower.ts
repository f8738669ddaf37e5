import type { PeerMessage } from '../election/peer-channel';
import { AcksSent, RegistryDates } from './presence-freshness';
import type { PresenceSyncContext } from './presence-sync-context';
import {
  inFrames,
  PRESENCE_ACK,
  PRESENCE_REPORT,
  PRESENCE_SYNC_REQUEST,
  type PresenceAck,
  type PresenceDelta,
  type PresenceFull,
  type PresenceGatherAsk,
  type PresenceReport,
} from './presence-sync.messages';
import type { PresenceRecord } from './presence.service';

/** Told of the batches a delta from `from` in `term` says a majority holds. */
export type HeldListener = (from: string, term: number, batches: number[]) => void;

/** The list a leader handed over: its term, the seq of its final delta, and who sent it. */
export interface HandedList {
  term: number;
  seq: number;
  from: string;
}

/** A handed-over list as a copy held it: with the copy's count of gains then (PresenceService). */
interface HandedMark extends HandedList {
  gains: number;
}

/**
 * A follower's side of the presence stream: it applies the leader's full list and then its
 * deltas in sequence, acknowledging each, and asks for everything when it misses one. Its copy
 * is what it reports to a new leader that asks (onGather; the leader's side is PresenceTakeover)
 * and what follower reads serve.
 */
export class PresenceFollower {
  /** Which stream it follows and the last delta applied. */
  private followTerm = -1;
  private followSeq: number | null = null;
  private fullRequestedAt = -Infinity;
  private assembling: { term: number; seq: number; records: PresenceRecord[] } | null = null;
  /**
   * The list a leader handed over, as this copy stood when it took the final delta (or, on the
   * leader that handed over, sent it). While the copy's count of gains stands, it holds nothing
   * that list lacks.
   */
  private handedOver: HandedMark | null = null;
  /** When it last took a leader's stream, and whose. */
  private syncedFromLeader: { term: number; from: string; at: number } | null = null;
  /** When it sent each acknowledgement of this term's stream: the leader echoes them. */
  private readonly acksSent = new AcksSent();
  /** Its copy holds the list of leader `from` in `term` as it stood at `at` or later (AcksSent). */
  private listAsOf: { term: number; from: string; at: number } | null = null;
  /** How new its registry is, from the log positions dated deltas carry. */
  private readonly registryDates = new RegistryDates();
  /** Told of the held batches a delta from the leader carries (HeartbeatForwarder). */
  private heldListeners: HeldListener[] = [];
  /** A new leader's ask from a term this node is not in yet: answered once it is (onGather). */
  private askAhead: PeerMessage<PresenceGatherAsk> | null = null;

  constructor(private readonly ctx: PresenceSyncContext) {}

  /** `listener` gets every held-batch list a delta from a leader carries. */
  onHeldInDelta(listener: HeldListener): void {
    this.heldListeners.push(listener);
  }

  /**
   * Ms since its copy last took the current leader's stream (a delta or the full list, sent
   * every heartbeat interval), or null while it follows no leader's stream of the current term:
   * whether the leader is in reach for follower heartbeats.
   */
  followLagMs(): number | null {
    return this.msSince(this.syncedFromLeader);
  }

  /**
   * How old the current leader's list its copy holds may be, in ms: every heartbeat the leader
   * took in that long ago is on it. Null while the copy may lack clients, or no delta of this
   * leader's stream said how new it was (an older leader echoes nothing): no read from it.
   * Unlike followLagMs, it counts the time frames waited before this node read them.
   */
  followReadLagMs(): number | null {
    return this.ctx.copyComplete ? this.msSince(this.listAsOf) : null;
  }

  /** Ms since `mark`, if this node follows the leader and term it names; else null. */
  private msSince(mark: { term: number; from: string; at: number } | null): number | null {
    const view = this.ctx.leadership.current;
    if (view.role !== 'follower' || mark === null) return null;
    if (mark.term !== view.term || mark.from !== view.leader) return null;
    return Math.max(0, this.ctx.clock.monotonicMs() - mark.at);
  }

  /**
   * How old the registry this node serves /users from may be, in ms: every registration a
   * leader answered that long ago is in it. Null on a node that is not a follower, or before a
   * dated delta came whose leader's log position it has applied.
   */
  followRegistryLagMs(): number | null {
    const applied = this.ctx.appliedIndex();
    if (this.ctx.leadership.current.role !== 'follower' || applied === null) return null;
    const asOf = this.registryDates.asOfWith(applied);
    return asOf === null ? null : Math.max(0, this.ctx.clock.monotonicMs() - asOf);
  }

  /**
   * Taking office in `term`: the list the leader of the term before handed over, if this copy
   * took its final delta; null otherwise. The new leader names it as it gathers its followers'
   * copies (PresenceTakeover.startGathering): the old leader may have abandoned the handover
   * and answered heartbeats that only other followers hold. From now on this node leads, and
   * its copy is no longer that list.
   */
  takeHandedList(term: number): HandedList | null {
    const handed = this.handedOver;
    this.handedOver = null;
    // A partial list may be named too. A follower says it holds nothing that list lacks only
    // once its copy is whole (holdsJust): the leader's list became whole without a gain since.
    return handed !== null && term === handed.term + 1 ? handed : null;
  }

  /**
   * This node, leading `term`, just sent its final delta `seq` and hands over: its own list is
   * the one it handed over. It answers the next leader in a word, unless its list gains first
   * (it abandoned the handover, led on and took in a heartbeat).
   */
  handedOwnList(term: number, seq: number): void {
    this.markHanded(term, seq, this.ctx.config.thisNode);
  }

  private markHanded(term: number, seq: number, from: string): void {
    this.handedOver = { term, seq, from, gains: this.ctx.presence.gains };
  }

  /**
   * Whether this copy holds nothing the list handed over in `term` at `seq` lacks: it took that
   * list's final delta and gained nothing since (a later delta that only took clients offline
   * leaves it so), and it came whole from a leader.
   */
  private holdsJust(term: number, seq: number): boolean {
    const h = this.handedOver;
    if (!this.ctx.copyKnown || h === null || h.term !== term || h.seq !== seq) return false;
    return h.gains === this.ctx.presence.gains;
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
    this.dateCopies(e);
    if (e.final === true) this.markHanded(e.term, e.seq, e.from);
    this.acknowledge(e, e.seq, false);
  }

  onFull(e: PeerMessage<PresenceFull>): void {
    if (!this.fromLeader(e)) return;
    if (e.chunk === 0 && !this.olderThanCopy(e)) {
      this.assembling = { term: e.term, seq: e.seq, records: [] };
    }
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

  /**
   * A new leader asks for this copy: it sends it, saying whether it is whole, or says it holds
   * just the list the leader names. Not before this node is in the asker's term: until then the
   * old leader may count it a holder of a batch (HeartbeatForwarder.hold), and its copy would
   * take a heartbeat answered 200 after the report left without it. Its own move to the new
   * term fails such batches first (HeartbeatForwarder.failAll), then onViewChanged answers.
   */
  onGather(e: PeerMessage<PresenceGatherAsk>): void {
    const view = this.ctx.leadership.current;
    if (e.term < view.term || this.ctx.isLeading(view)) return;
    if (e.term > view.term) {
      this.askAhead = e;
      return;
    }
    this.askAhead = null;
    const { handedTerm, handedSeq } = e;
    const named = handedTerm !== undefined && handedSeq !== undefined;
    if (named && this.holdsJust(handedTerm, handedSeq)) this.reportInStep(e);
    else this.reportCopy(e);
  }

  /** This node's view of leadership changed: an ask that waited for its term is answered now. */
  onViewChanged(): void {
    const ask = this.askAhead;
    if (ask !== null && ask.term <= this.ctx.leadership.current.term) this.onGather(ask);
  }

  private reportCopy(e: PeerMessage<object>): void {
    const synced = this.ctx.lastSyncAt;
    const parts = inFrames(synced !== null ? this.ctx.presence.snapshot() : []);
    for (const [chunk, records] of parts.entries()) {
      const report: PresenceReport = {
        chunk,
        chunks: parts.length,
        known: synced !== null && this.ctx.copyComplete,
        ...this.syncAge(),
        records,
      };
      this.ctx.channel.send(e.from, PRESENCE_REPORT, e.term, { ...report });
    }
  }

  private reportInStep(e: PeerMessage<object>): void {
    const report: PresenceReport = {
      chunk: 0,
      chunks: 1,
      known: true,
      ...this.syncAge(),
      inStep: true,
      records: [],
    };
    this.ctx.channel.send(e.from, PRESENCE_REPORT, e.term, { ...report });
  }

  /** Since this copy last had a leader's list, for a report; nothing when it never had one. */
  private syncAge(): { syncAgeMs?: number } {
    const synced = this.ctx.lastSyncAt;
    return synced === null ? {} : { syncAgeMs: Math.round(this.ctx.clock.monotonicMs() - synced) };
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

  /** The delta just applied says, by its echo, how new the list is, and the registry too. */
  private dateCopies(e: PeerMessage<PresenceDelta>): void {
    const { ackSeq, ackAgoMs } = e;
    if (ackSeq === undefined || ackAgoMs === undefined) return;
    const at = this.acksSent.drainedNoEarlierThan(e.term, { ackSeq, ackAgoMs });
    if (at === null) return;
    const known = this.listAsOf;
    const same = known !== null && known.term === e.term && known.from === e.from;
    // A later delta is never older; an echo repeated because no newer ack was in gives an older bound.
    this.listAsOf = { term: e.term, from: e.from, at: same ? Math.max(known.at, at) : at };
    if (e.applied === undefined) return;
    this.registryDates.note(e.applied, at);
    const applied = this.ctx.appliedIndex();
    if (applied !== null) this.registryDates.asOfWith(applied); // keeps the pending few
  }

  /**
   * A full list of this term older than the copy. The copy acknowledged deltas after it, and the
   * leader counts it a holder of what they brought. The transport delivers nothing late today
   * (TcpTransport.supersede), so this guards against a change there.
   */
  private olderThanCopy(e: PeerMessage<PresenceFull>): boolean {
    return e.term === this.followTerm && this.followSeq !== null && e.seq < this.followSeq;
  }

  private acknowledge(e: PeerMessage<object>, seq: number, full: boolean): void {
    this.acksSent.sent(e.term, seq, this.ctx.clock.monotonicMs());
    const ack: PresenceAck = { seq, full };
    this.ctx.channel.send(e.from, PRESENCE_ACK, e.term, { ...ack });
  }

  private requestFull(e: PeerMessage<object>): void {
    // One request per election timeout: the full list is on its way or was lost.
    const now = this.ctx.clock.monotonicMs();
    const askedLately = now - this.fullRequestedAt < this.ctx.config.electionTimeoutMinMs;
    if (askedLately && e.term === this.followTerm) return;
    this.fullRequestedAt = now;
    // A new term's stream numbers from 1 again: no delta of it follows this copy until its full
    // list came, even one whose seq happens to follow the old term's.
    if (e.term !== this.followTerm) this.followSeq = null;
    this.followTerm = e.term;
    this.ctx.channel.send(e.from, PRESENCE_SYNC_REQUEST, e.term, {});
  }
}
