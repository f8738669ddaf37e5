import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CLOCK, type Clock } from '../common/clock';
import { LeaseNotHeldError } from '../common/http/leadership-errors';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { majorityOf } from '../election/consensus';
import { LeadershipState, type LeadershipView } from '../election/leadership-state';
import { PeerChannel, type PeerMessage } from '../election/peer-channel';
import { PresenceConfirmations } from './presence-confirmations';
import { PresenceGathering } from './presence-gathering';
import {
  ackProblem,
  deltaProblem,
  fullProblem,
  PRESENCE_ACK,
  PRESENCE_DELTA,
  PRESENCE_FULL,
  PRESENCE_GATHER,
  PRESENCE_REPORT,
  PRESENCE_SYNC_REQUEST,
  type PresenceAck,
  type PresenceDelta,
  type PresenceFull,
  type PresenceReport,
  RECORDS_PER_FRAME,
  reportProblem,
  requestProblem,
} from './presence-sync.messages';
import { type PresenceRecord, PresenceService } from './presence.service';

const SYNC_JOB = 'presence-sync';
/** A regular delta rides on AppendEntries at most this often, in heartbeat intervals. */
const RIDE_FLOOR = 0.75;
/** With no AppendEntries to ride on, the regular delta leaves this many intervals after the last. */
const FALLBACK_INTERVALS = 1.25;

/** The batches of a follower held since the last delta to it, taken for the next one (or null). */
type HeldTaker = (peer: string, term: number) => number[] | null;
/** Told of the batches a delta from `from` in `term` says a majority holds. */
type HeldListener = (from: string, term: number, batches: number[]) => void;

/**
 * Streams the leader's online list to the followers, every heartbeat interval, as numbered
 * deltas that they acknowledge; a follower that misses one asks for everything. A heartbeat is
 * answered once a majority of nodes holds it (PresenceConfirmations), a new leader starts from
 * a majority's copies (PresenceGathering) or from the list its predecessor handed over, so a
 * heartbeat answered 200 is in every later leader's /discover.
 */
@Injectable()
export class PresenceReplicator implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('PresenceSync');
  /** Leader: the term being streamed and the last delta number sent in it. */
  private leaderTerm = -1;
  private seq = 0;
  /** Follower: which stream it follows and the last delta applied. */
  private followTerm = -1;
  private followSeq: number | null = null;
  private fullRequestedAt = -Infinity;
  private assembling: { term: number; seq: number; records: PresenceRecord[] } | null = null;
  /** Follower: the last delta of a leader that handed over, as `{term, seq, from}`. */
  private handedOver: { term: number; seq: number; from: string } | null = null;
  /** When this node last had the leader's list: from the leader, or by being it. */
  private lastSyncAt: number | null = null;
  /** Follower: when it last took a leader's stream, and whose. */
  private syncedFromLeader: { term: number; from: string; at: number } | null = null;
  /** New leader: the followers' copies still awaited, while its list may lack clients. */
  private gather: PresenceGathering | null = null;
  /**
   * Whether this node's copy knows every client online: it came whole from a leader's stream
   * (not one marked partial), or this node led with a list it vouched for (set as it steps down). Only such a copy counts
   * for a new leader's majority of copies, or serves follower reads.
   */
  private copyComplete = false;
  private readonly confirmations: PresenceConfirmations;
  /** Leader: a delta sent at once for waiting heartbeats is out, drained at this time. */
  private urgentDrainedAt: number | null = null;
  private urgentScheduled = false;
  /**
   * A refresh is answered at once when a majority holds the client's previous heartbeat and it
   * is younger than this; a new leader forgives every age by as much, so no refresh it did not
   * hear of costs its client any time online.
   */
  private readonly refreshSlackMs: number;
  /** When tick() last ran (monotonic ms): a regular delta is due one heartbeat interval later. */
  private lastTickAt = -Infinity;
  /** Ticks when no AppendEntries took a regular delta along for FALLBACK_INTERVALS intervals. */
  private fallback: NodeJS.Timeout | null = null;
  /** Leader: what else a delta to a follower carries (ForwardedHeartbeats' held batches). */
  private takeHeld: HeldTaker = () => null;
  /** Follower: told of the held batches a delta from the leader carries (HeartbeatForwarder). */
  private heldListeners: HeldListener[] = [];

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly leadership: LeadershipState,
    private readonly presence: PresenceService,
    private readonly channel: PeerChannel,
    private readonly scheduler: SchedulerRegistry,
  ) {
    this.confirmations = new PresenceConfirmations(() => channel.others);
    this.refreshSlackMs = 2 * config.heartbeatIntervalMs;
  }

  onModuleInit(): void {
    if (this.channel.others.length === 0) return;
    // A follower's copy is expired by the leader's deltas, not by time (see settleOnline).
    this.presence.setExpiring(false);
    this.channel.on<PresenceDelta>(PRESENCE_DELTA, deltaProblem, (e) => this.onDelta(e));
    this.channel.on<PresenceFull>(PRESENCE_FULL, fullProblem, (e) => this.onFull(e));
    this.channel.on(PRESENCE_SYNC_REQUEST, requestProblem, (e) => this.onRequest(e));
    this.channel.on(PRESENCE_GATHER, requestProblem, (e) => this.onGather(e));
    this.channel.on<PresenceReport>(PRESENCE_REPORT, reportProblem, (e) => this.onReport(e));
    this.channel.on<PresenceAck>(PRESENCE_ACK, ackProblem, (e) => this.onAck(e));
    this.leadership.onChange((view, before) => this.onLeadership(view, before));
    this.leadership.onHandover(() => this.handOver());
    this.leadership.onAppendsSent(() => this.rideOnAppends());
    // Re-armed by every tick (see tick): it fires only when no AppendEntries took a delta along.
    this.fallback = setTimeout(
      () => this.tick(),
      FALLBACK_INTERVALS * this.config.heartbeatIntervalMs,
    );
    this.scheduler.addTimeout(SYNC_JOB, this.fallback);
  }

  onModuleDestroy(): void {
    if (this.scheduler.doesExist('timeout', SYNC_JOB)) this.scheduler.deleteTimeout(SYNC_JOB);
    this.dropGathering();
    this.confirmations.failAll(new LeaseNotHeldError());
  }

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

  /**
   * For a heartbeat just applied on the leader, whose client was last seen at the same addr at
   * `seenBefore` (-Infinity: it was not online there): null when it may be answered at once, or
   * a promise that settles once a majority holds it (rejected if this node stops leading first).
   */
  confirmation(seenBefore: number): Promise<void> | null {
    return this.needsConfirmation(seenBefore) ? this.heldSoon() : null;
  }

  /** Whether a heartbeat applied now, whose client was last seen at `seenBefore`, must wait. */
  needsConfirmation(seenBefore: number): boolean {
    if (this.channel.others.length === 0) return false;
    const now = this.clock.monotonicMs();
    const held = this.confirmations.heldByQuorumUpTo;
    return !(seenBefore < held && now - seenBefore < this.refreshSlackMs);
  }

  /**
   * Settles once a majority holds every change made up to now (rejected if this node stops
   * leading first); a delta goes out at once for it.
   */
  heldSoon(): Promise<void> {
    const waiting = this.confirmations.whenHeld(this.clock.monotonicMs());
    this.scheduleUrgentDelta();
    return waiting;
  }

  /** Leader: `take` gives each delta to a follower the batches of it held since the last one. */
  carryOnDeltas(take: HeldTaker): void {
    this.takeHeld = take;
  }

  /** Follower: `listener` gets every held-batch list a delta from a leader carries. */
  onHeldInDelta(listener: HeldListener): void {
    this.heldListeners.push(listener);
  }

  /**
   * Follower: ms since its copy last took the current leader's stream (a delta or the full
   * list, sent every heartbeat interval), or null while it follows no leader's stream of the
   * current term. How far behind the leader follower reads may be, and whether the leader is in
   * reach for follower heartbeats.
   */
  followLagMs(): number | null {
    const view = this.leadership.current;
    const synced = this.syncedFromLeader;
    if (view.role !== 'follower' || synced === null) return null;
    if (synced.term !== view.term || synced.from !== view.leader) return null;
    return Math.max(0, this.clock.monotonicMs() - synced.at);
  }

  /** As followLagMs, but null while this follower's copy may lack clients: no read from it. */
  followReadLagMs(): number | null {
    return this.copyComplete ? this.followLagMs() : null;
  }

  private leadingTerm(term: number): boolean {
    const view = this.leadership.current;
    return this.isLeading(view) && view.term === term && term === this.leaderTerm;
  }

  private isLeading(view: Readonly<LeadershipView>): boolean {
    return view.role === 'leader' && view.leader === this.config.thisNode;
  }

  private onLeadership(view: Readonly<LeadershipView>, before: Readonly<LeadershipView>): void {
    const was = this.isLeading(before) && before.term === view.term;
    if (this.isLeading(view) && !was) this.takeOffice(view.term);
    else if (!this.isLeading(view) && this.isLeading(before)) {
      this.presence.trackChanges(false);
      this.presence.setExpiring(false);
      this.leaderTerm = -1;
      this.urgentDrainedAt = null;
      this.confirmations.failAll(new LeaseNotHeldError());
      this.copyComplete = this.listVouched;
      this.dropGathering();
    }
  }

  private takeOffice(term: number): void {
    const ownSyncAt = this.lastSyncAt;
    const ownKnown = ownSyncAt !== null && this.copyComplete;
    const handed = this.handedOver;
    const complete =
      ownKnown &&
      handed !== null &&
      term === handed.term + 1 &&
      this.followTerm === handed.term &&
      this.followSeq === handed.seq;
    this.presence.trackChanges(true);
    this.confirmations.restart(new LeaseNotHeldError());
    this.leaderTerm = term;
    this.seq = 0;
    this.urgentDrainedAt = null;
    this.lastSyncAt = this.clock.monotonicMs();
    if (complete) {
      this.settleOnline(term, ownSyncAt, [], `the list handed over by ${handed.from}`);
      this.sendFullToAll();
      return;
    }
    // Our list replaces a follower's copy, so it goes to each only once that copy is folded
    // in: a node that restarted holds nobody, and must not wipe anyone else's list.
    this.startGathering(term, ownKnown, ownSyncAt);
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
    const now = this.clock.monotonicMs();
    const withoutLeader = latestSyncAt === null ? 0 : Math.max(0, now - latestSyncAt);
    const forgiveMs = Math.min(this.config.clientTimeoutMs, withoutLeader) + this.refreshSlackMs;
    this.presence.extendBy(forgiveMs);
    let added = 0;
    for (const copy of copies) added += this.presence.merge(youngerBy(copy, forgiveMs));
    this.presence.setExpiring(true);
    const news = copies.length > 0 ? `, ${added} of them from followers' copies` : '';
    this.logger.log(
      `leading term ${term} with ${this.presence.count} clients online from ${from}${news} ` +
        `(timeouts pushed back ${Math.round(forgiveMs)} ms for the time without a leader)`,
    );
    return forgiveMs;
  }

  /**
   * Asks every follower it can reach for its copy. Its own may lack clients: it restarted and
   * holds nobody, or it was cut off while others heard of new clients.
   */
  private startGathering(term: number, ownKnown: boolean, ownSyncAt: number | null): void {
    this.dropGathering();
    // Every follower is asked, also one out of reach now: it is asked again every interval.
    const awaited = new Set(this.channel.others);
    for (const peer of awaited) this.channel.send(peer, PRESENCE_GATHER, term, {});
    const boundMs = Math.min(this.config.electionTimeoutMinMs, 5 * this.config.heartbeatIntervalMs);
    const quorum = majorityOf(this.channel.others.length + 1);
    this.gather = new PresenceGathering(
      term,
      awaited,
      ownKnown,
      ownSyncAt,
      quorum,
      boundMs,
      this.clock.monotonicMs(),
      this.config.clientTimeoutMs,
      () => this.stopWaiting(`no majority of copies within ${boundMs} ms`),
    );
  }

  private sendFullToAll(): void {
    for (const peer of this.channel.others) this.sendFull(peer);
  }

  /**
   * The new leader serves from now on: with the copies in, and its list sent to each follower
   * whose copy it holds. Whoever it lacks keeps its copy till it is asked again and answers.
   */
  private stopWaiting(why: string): void {
    const g = this.gather;
    if (!g?.waiting) return;
    if (!this.leadingTerm(g.term)) return this.dropGathering();
    const lacking = [...g.awaited].join(', ');
    const missing = g.awaited.size > 0 ? `; not waiting for ${lacking}` : '';
    const forgiveMs = this.settleOnline(
      g.term,
      g.latestSyncAt,
      g.copies,
      `gathering (${why}${missing})`,
    );
    g.stopWaiting(forgiveMs);
    g.copies.length = 0;
    if (g.complete) this.gather = null;
    else if (g.vouched) this.logger.log(`term ${g.term}: still asking ${lacking} for copies`);
    else {
      this.logger.warn(
        `term ${g.term}: the online list may lack clients only ${lacking} know of ` +
          `(no copy in came whole from a leader): /discover answers 503 until their copies are in, ` +
          `or for at most ${this.config.clientTimeoutMs} ms, when all such clients have timed out`,
      );
    }
    for (const peer of this.channel.others) if (!g.awaited.has(peer)) this.sendFull(peer);
  }

  /** A copy that came in after the leader stopped waiting, from a follower back in reach. */
  private takeLateCopy(g: PresenceGathering, from: string, copy: PresenceRecord[]): void {
    const added = this.presence.merge(youngerBy(copy, g.forgiveMs ?? 0));
    const took = `the copy of ${from} is in, with ${added} clients the list lacked`;
    if (g.complete) this.listWhole(g, took);
    else this.logger.log(`term ${g.term}: ${took}; still missing ${[...g.awaited].join(', ')}`);
    this.sendFull(from);
  }

  private listWhole(g: PresenceGathering, why: string): void {
    this.gather = null;
    this.logger.log(`term ${g.term}: the online list is whole again (${why})`);
  }

  private dropGathering(): void {
    const g = this.gather;
    this.gather = null;
    g?.finish();
  }

  private onGather(e: PeerMessage<object>): void {
    const view = this.leadership.current;
    if (e.term < view.term || this.isLeading(view)) return;
    const synced = this.lastSyncAt;
    const parts = inFrames(synced !== null ? this.presence.snapshot() : []);
    const syncAge =
      synced === null ? {} : { syncAgeMs: Math.round(this.clock.monotonicMs() - synced) };
    for (const [chunk, records] of parts.entries()) {
      const report: PresenceReport = {
        chunk,
        chunks: parts.length,
        known: synced !== null && this.copyComplete,
        ...syncAge,
        records,
      };
      this.channel.send(e.from, PRESENCE_REPORT, e.term, { ...report });
    }
  }

  private onReport(e: PeerMessage<PresenceReport>): void {
    const g = this.gather;
    if (!g || e.term !== g.term) return;
    const copy = g.take(e.from, e, this.clock.monotonicMs());
    if (copy === null) return;
    if (!g.waiting) return this.takeLateCopy(g, e.from, copy);
    g.copies.push(copy);
    if (g.complete) {
      this.stopWaiting(g.awaited.size === 0 ? 'every follower answered' : 'a majority is in');
    }
  }

  /**
   * The regular delta rides on the leader's AppendEntries: sent in the same turn, it reaches each
   * follower in the same write (the transport's), and the follower answers both in one.
   * AppendEntries leave every heartbeat interval, and with entries in between: at most one
   * delta per RIDE_FLOOR of an interval. Without them, the fallback timer ticks.
   */
  private rideOnAppends(): void {
    const sinceTick = this.clock.monotonicMs() - this.lastTickAt;
    if (sinceTick >= RIDE_FLOOR * this.config.heartbeatIntervalMs) this.tick();
  }

  private tick(): void {
    this.lastTickAt = this.clock.monotonicMs();
    // Not once a test or onModuleDestroy removed it: refresh() would start it again.
    if (this.fallback && this.scheduler.doesExist('timeout', SYNC_JOB)) this.fallback.refresh();
    const view = this.leadership.current;
    if (this.isLeading(view) && view.term === this.leaderTerm) {
      this.lastSyncAt = this.clock.monotonicMs();
      this.sendDelta(false);
      this.askAgain();
    }
    // Whoever waited this long for a quorum gets a 503 and tries again.
    const before = this.clock.monotonicMs() - 2 * this.config.electionTimeoutMinMs;
    this.confirmations.expire(before, new LeaseNotHeldError());
  }

  /** Copies not in yet are asked for again: an ask or a report was lost, or a node is back. */
  private askAgain(): void {
    const g = this.gather;
    if (!g) return;
    if (!g.waiting && g.outlived(this.clock.monotonicMs())) {
      const lacking = [...g.awaited].join(', ');
      return this.listWhole(g, `every client the copies of ${lacking} could hold has timed out`);
    }
    for (const peer of g.awaited) this.channel.send(peer, PRESENCE_GATHER, g.term, {});
  }

  /**
   * The changes since the last delta, to every follower. An empty delta still goes out: it tells
   * followers the stream is alive and lets one that missed a delta notice at once. Deltas follow
   * the full list, which waits for the gathering; the changes keep till then.
   */
  private sendDelta(final: boolean): void {
    if (this.gather?.waiting) return;
    const drainedAt = this.clock.monotonicMs();
    const { online, offline } = this.presence.drainChanges();
    const onlineParts = inFrames(online);
    const offlineParts = inFrames(offline);
    const count = Math.max(onlineParts.length, offlineParts.length);
    for (let i = 0; i < count; i++) {
      const delta: PresenceDelta = {
        seq: ++this.seq,
        online: onlineParts[i] ?? [],
        offline: offlineParts[i] ?? [],
        ...(final && i === count - 1 ? { final: true } : {}),
        ...this.partialMark(),
      };
      this.confirmations.deltaDrained(delta.seq, drainedAt);
      for (const peer of this.channel.others) {
        const held = this.takeHeld(peer, this.leaderTerm);
        const body = held ? { ...delta, held } : { ...delta };
        this.channel.send(peer, PRESENCE_DELTA, this.leaderTerm, body);
      }
    }
  }

  /** Heartbeats are waiting for a quorum: a delta goes now, one at a time, each taking all. */
  private scheduleUrgentDelta(): void {
    if (this.urgentScheduled || this.urgentDrainedAt !== null) return;
    this.urgentScheduled = true;
    setImmediate(() => {
      this.urgentScheduled = false;
      const view = this.leadership.current;
      if (!this.isLeading(view) || view.term !== this.leaderTerm || this.gather?.waiting) return;
      this.urgentDrainedAt = this.clock.monotonicMs();
      this.sendDelta(false);
    });
  }

  /** The leader is about to hand over: its last changes go first, marked as the last. */
  private handOver(): void {
    const view = this.leadership.current;
    if (!this.isLeading(view) || view.term !== this.leaderTerm || this.gather?.waiting) return;
    this.sendDelta(true);
  }

  private sendFull(to: string): void {
    const takenAt = this.clock.monotonicMs();
    const parts = inFrames(this.presence.snapshot());
    for (const [chunk, records] of parts.entries()) {
      const full: PresenceFull = {
        seq: this.seq,
        chunk,
        chunks: parts.length,
        records,
        ...this.partialMark(),
      };
      this.channel.send(to, PRESENCE_FULL, this.leaderTerm, { ...full });
    }
    this.confirmations.fullSent(to, this.seq, takenAt);
  }

  /** Frames of a list that may lack clients say so: a copy of it vouches for nothing. */
  private partialMark(): { partial?: true } {
    return this.listVouched ? {} : { partial: true };
  }

  /**
   * Leader: whether its list is one a copy of may vouch for: no gathering left, or one past its
   * wait with a copy in that came whole from a leader (then it serves, asking for the rest).
   */
  private get listVouched(): boolean {
    const g = this.gather;
    return g === null || (!g.waiting && g.vouched);
  }

  private onAck(e: PeerMessage<PresenceAck>): void {
    const view = this.leadership.current;
    if (!this.isLeading(view) || e.term !== this.leaderTerm) return;
    this.confirmations.acknowledged(e.from, e.seq, e.full);
    const urgent = this.urgentDrainedAt;
    if (urgent === null || this.confirmations.heldByQuorumUpTo < urgent) return;
    this.urgentDrainedAt = null;
    if (this.confirmations.waiting > 0) this.scheduleUrgentDelta();
  }

  /** Only the current leader's stream counts; anything else is stale and ignored. */
  private fromLeader(e: PeerMessage<object>): boolean {
    const view = this.leadership.current;
    return e.from === view.leader && e.term === view.term && !this.isLeading(view);
  }

  private onDelta(e: PeerMessage<PresenceDelta>): void {
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
    this.presence.apply(e);
    this.copyComplete = e.partial !== true;
    this.followSeq = e.seq;
    this.synced(e);
    if (e.final === true) this.handedOver = { term: e.term, seq: e.seq, from: e.from };
    this.acknowledge(e, e.seq, false);
  }

  private onFull(e: PeerMessage<PresenceFull>): void {
    if (!this.fromLeader(e)) return;
    if (e.chunk === 0) this.assembling = { term: e.term, seq: e.seq, records: [] };
    const a = this.assembling;
    if (!a || a.term !== e.term || a.seq !== e.seq) return; // a chunk of a list we did not start
    a.records.push(...e.records);
    if (e.chunk < e.chunks - 1) return;
    this.assembling = null;
    this.presence.replaceAll(a.records);
    this.copyComplete = e.partial !== true;
    this.followTerm = e.term;
    this.followSeq = e.seq;
    this.synced(e);
    this.acknowledge(e, e.seq, true);
    this.logger.debug(`shadow list from leader ${e.from}: ${a.records.length} clients online`);
  }

  private synced(e: PeerMessage<object>): void {
    this.lastSyncAt = this.clock.monotonicMs();
    this.syncedFromLeader = { term: e.term, from: e.from, at: this.lastSyncAt };
  }

  private acknowledge(e: PeerMessage<object>, seq: number, full: boolean): void {
    const ack: PresenceAck = { seq, full };
    this.channel.send(e.from, PRESENCE_ACK, e.term, { ...ack });
  }

  private requestFull(e: PeerMessage<object>): void {
    // One request per election timeout: the full list is on its way or was lost.
    const now = this.clock.monotonicMs();
    if (now - this.fullRequestedAt < this.config.electionTimeoutMinMs && e.term === this.followTerm)
      return;
    this.fullRequestedAt = now;
    this.followTerm = e.term;
    this.channel.send(e.from, PRESENCE_SYNC_REQUEST, e.term, {});
  }

  private onRequest(e: PeerMessage<object>): void {
    const view = this.leadership.current;
    if (!this.isLeading(view) || e.term !== this.leaderTerm) return;
    // It lost its copy or a delta: until it takes the full list, it holds nothing for sure.
    this.confirmations.copyLost(e.from);
    // While gathering, the full list is not ready; everyone gets it when it is.
    const g = this.gather;
    if (g?.waiting) return;
    // Its copy may hold clients this list lacks: it is taken in before the list replaces it.
    if (g?.awaited.has(e.from)) this.channel.send(e.from, PRESENCE_GATHER, g.term, {});
    else this.sendFull(e.from);
  }
}

/** A copy's records read `byMs` younger, as a new leader reads every copy it takes in. */
function youngerBy(copy: PresenceRecord[], byMs: number): PresenceRecord[] {
  return copy.map(([name, addr, age]): PresenceRecord => [name, addr, Math.max(0, age - byMs)]);
}

/** Splits a list into frame-sized parts; an empty list is one empty part, still worth sending. */
function inFrames<T>(items: T[]): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += RECORDS_PER_FRAME) {
    parts.push(items.slice(i, i + RECORDS_PER_FRAME));
  }
  return parts.length > 0 ? parts : [[]];
}
