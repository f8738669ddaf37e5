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
  /** New leader: the followers' copies still awaited, and /discover's wait for them. */
  private gather: PresenceGathering | null = null;
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
    this.finishGathering('shutting down');
    this.confirmations.failAll(new LeaseNotHeldError());
  }

  /**
   * While a new leader waits for its followers' copies: settles when enough are in (see
   * PresenceGathering), so /discover never answers from a copy known to be partial.
   */
  get gathering(): Promise<void> | null {
    return this.gather?.done ?? null;
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
      this.finishGathering('no longer leading');
    }
  }

  private takeOffice(term: number): void {
    const ownSyncAt = this.lastSyncAt;
    const handed = this.handedOver;
    const complete =
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
    // Our list replaces the followers' copies, so it goes out only once theirs are folded in:
    // a node that restarted holds nobody, and must not wipe everyone else's list.
    if (!this.startGathering(term, ownSyncAt)) {
      this.settleOnline(term, ownSyncAt, [], 'its own copy: no follower reachable');
      this.sendFullToAll();
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
  ): void {
    const now = this.clock.monotonicMs();
    const withoutLeader = latestSyncAt === null ? 0 : Math.max(0, now - latestSyncAt);
    const forgiveMs = Math.min(this.config.clientTimeoutMs, withoutLeader) + this.refreshSlackMs;
    this.presence.extendBy(forgiveMs);
    let added = 0;
    for (const copy of copies) {
      const forgiven = copy.map(([n, a, age]): PresenceRecord => [
        n,
        a,
        Math.max(0, age - forgiveMs),
      ]);
      added += this.presence.merge(forgiven);
    }
    this.presence.setExpiring(true);
    const news = copies.length > 0 ? `, ${added} of them from followers' copies` : '';
    this.logger.log(
      `leading term ${term} with ${this.presence.count} clients online from ${from}${news} ` +
        `(timeouts pushed back ${Math.round(forgiveMs)} ms for the time without a leader)`,
    );
  }

  /**
   * Asks every follower it can reach for its copy. Its own may lack clients: it restarted and
   * holds nobody, or it was cut off while others heard of new clients.
   */
  private startGathering(term: number, ownSyncAt: number | null): boolean {
    this.finishGathering('a new term');
    const awaited = new Set(
      this.channel.others.filter((peer) => this.channel.send(peer, PRESENCE_GATHER, term, {})),
    );
    if (awaited.size === 0) return false;
    const boundMs = Math.min(this.config.electionTimeoutMinMs, 5 * this.config.heartbeatIntervalMs);
    const quorum = majorityOf(this.channel.others.length + 1);
    this.gather = new PresenceGathering(term, awaited, ownSyncAt, quorum, boundMs, () =>
      this.finishGathering(`no majority of copies within ${boundMs} ms`),
    );
    return true;
  }

  private sendFullToAll(): void {
    for (const peer of this.channel.others) this.sendFull(peer);
  }

  private finishGathering(why: string): void {
    const g = this.gather;
    if (!g) return;
    this.gather = null;
    const view = this.leadership.current;
    if (this.isLeading(view) && view.term === g.term && g.term === this.leaderTerm) {
      const missing = g.awaited.size > 0 ? `; not waiting for ${[...g.awaited].join(', ')}` : '';
      this.settleOnline(g.term, g.latestSyncAt, g.copies, `gathering (${why}${missing})`);
      this.sendFullToAll();
    }
    g.finish();
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
        known: synced !== null,
        ...syncAge,
        records,
      };
      this.channel.send(e.from, PRESENCE_REPORT, e.term, { ...report });
    }
  }

  private onReport(e: PeerMessage<PresenceReport>): void {
    const g = this.gather;
    if (!g || e.term !== g.term) return;
    if (!g.take(e.from, e, this.clock.monotonicMs())) return;
    if (g.complete) {
      this.finishGathering(g.awaited.size === 0 ? 'every follower answered' : 'a majority is in');
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
      // An ask or a report may have been lost: those not in yet are asked again.
      const g = this.gather;
      for (const peer of g?.awaited ?? []) this.channel.send(peer, PRESENCE_GATHER, g!.term, {});
    }
    // Whoever waited this long for a quorum gets a 503 and tries again.
    const before = this.clock.monotonicMs() - 2 * this.config.electionTimeoutMinMs;
    this.confirmations.expire(before, new LeaseNotHeldError());
  }

  /**
   * The changes since the last delta, to every follower. An empty delta still goes out: it tells
   * followers the stream is alive and lets one that missed a delta notice at once. Deltas follow
   * the full list, which waits for the gathering; the changes keep till then.
   */
  private sendDelta(final: boolean): void {
    if (this.gather) return;
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
      if (!this.isLeading(view) || view.term !== this.leaderTerm || this.gather) return;
      this.urgentDrainedAt = this.clock.monotonicMs();
      this.sendDelta(false);
    });
  }

  /** The leader is about to hand over: its last changes go first, marked as the last. */
  private handOver(): void {
    const view = this.leadership.current;
    if (!this.isLeading(view) || view.term !== this.leaderTerm || this.gather) return;
    this.sendDelta(true);
  }

  private sendFull(to: string): void {
    const takenAt = this.clock.monotonicMs();
    const parts = inFrames(this.presence.snapshot());
    for (const [chunk, records] of parts.entries()) {
      const full: PresenceFull = { seq: this.seq, chunk, chunks: parts.length, records };
      this.channel.send(to, PRESENCE_FULL, this.leaderTerm, { ...full });
    }
    this.confirmations.fullSent(to, this.seq, takenAt);
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
    if (!this.gather) this.sendFull(e.from);
  }
}

/** Splits a list into frame-sized parts; an empty list is one empty part, still worth sending. */
function inFrames<T>(items: T[]): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += RECORDS_PER_FRAME) {
    parts.push(items.slice(i, i + RECORDS_PER_FRAME));
  }
  return parts.length > 0 ? parts : [[]];
}
