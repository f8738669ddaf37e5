import {
  Inject,
  Injectable,
  type OnModuleDestroy,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState, type LeadershipView } from '../election/leadership-state';
import { PeerChannel } from '../election/peer-channel';
import { ReplicatedLog } from '../election/replicated-log';
import type { ForwardedBeat } from './heartbeat-forward.messages';
import { type HeldListener, PresenceFollower } from './presence-follower';
import { type HeldTaker, PresenceStream } from './presence-stream';
import { PresenceSyncContext } from './presence-sync-context';
import {
  ackProblem,
  deltaProblem,
  fullProblem,
  gatherProblem,
  PRESENCE_ACK,
  PRESENCE_DELTA,
  PRESENCE_FULL,
  PRESENCE_GATHER,
  PRESENCE_REPORT,
  PRESENCE_SYNC_REQUEST,
  type PresenceAck,
  type PresenceDelta,
  type PresenceFull,
  type PresenceGatherAsk,
  type PresenceReport,
  reportProblem,
  requestProblem,
} from './presence-sync.messages';
import { PresenceTakeover } from './presence-takeover';
import { PresenceService } from './presence.service';

const SYNC_JOB = 'presence-sync';
/** A regular delta rides on AppendEntries at most this often, in heartbeat intervals. */
const RIDE_FLOOR = 0.75;
/** With no AppendEntries to ride on, the regular delta leaves this many intervals after the last. */
const FALLBACK_INTERVALS = 1.25;

/**
 * Keeps every node's copy of the online list in step with the leader's, so a heartbeat answered
 * 200 is in every later leader's /discover. Three parts do the work; this provider routes the
 * peer messages, leadership changes and its timer to them, and is what the rest of the node uses:
 * - PresenceStream: the leader streams its list to the followers, every heartbeat interval, as
 *   numbered deltas that they acknowledge; a heartbeat is answered once a majority of nodes
 *   holds it (PresenceConfirmations).
 * - PresenceFollower: a follower applies the deltas and acknowledges them; one that misses one
 *   asks for everything. It reports its copy to a new leader that asks.
 * - PresenceTakeover: a new leader starts from a majority's copies (PresenceGathering), naming
 *   the list its predecessor handed over, if it holds it, so nodes in step answer in a word.
 */
@Injectable()
export class PresenceReplicator implements OnModuleInit, OnModuleDestroy {
  private readonly ctx: PresenceSyncContext;
  private readonly stream: PresenceStream;
  private readonly follower: PresenceFollower;
  private readonly takeover: PresenceTakeover;
  /** When tick() last ran (monotonic ms): a regular delta is due one heartbeat interval later. */
  private lastTickAt = -Infinity;
  /** Ticks when no AppendEntries took a regular delta along for FALLBACK_INTERVALS intervals. */
  private fallback: NodeJS.Timeout | null = null;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly leadership: LeadershipState,
    private readonly presence: PresenceService,
    private readonly channel: PeerChannel,
    private readonly scheduler: SchedulerRegistry,
    // How far the log is applied: dated deltas carry the leader's, so that follower reads of the
    // registry can be dated too. Absent in unit tests that wire no log.
    @Optional() log?: ReplicatedLog,
  ) {
    const applied = log ? () => log.appliedIndex : undefined;
    this.ctx = new PresenceSyncContext(config, clock, leadership, presence, channel, applied);
    this.takeover = new PresenceTakeover(this.ctx, {
      leadingTerm: (term) => this.stream.leadingTerm(term),
      sendFull: (to) => this.stream.sendFull(to),
    });
    this.stream = new PresenceStream(this.ctx, this.takeover);
    this.follower = new PresenceFollower(this.ctx);
  }

  onModuleInit(): void {
    if (this.channel.others.length === 0) return;
    // A follower's copy is expired by the leader's deltas, not by time (see
    // PresenceTakeover.settleOnline).
    this.presence.setExpiring(false);
    const { follower, stream, takeover } = this;
    this.channel.on<PresenceDelta>(PRESENCE_DELTA, deltaProblem, (e) => follower.onDelta(e));
    this.channel.on<PresenceFull>(PRESENCE_FULL, fullProblem, (e) => follower.onFull(e));
    this.channel.on(PRESENCE_SYNC_REQUEST, requestProblem, (e) => stream.onRequest(e));
    this.channel.on<PresenceGatherAsk>(PRESENCE_GATHER, gatherProblem, (e) => follower.onGather(e));
    this.channel.on<PresenceReport>(PRESENCE_REPORT, reportProblem, (e) => takeover.onReport(e));
    this.channel.on<PresenceAck>(PRESENCE_ACK, ackProblem, (e) => stream.onAck(e));
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
    this.takeover.drop();
    this.stream.close();
  }

  /**
   * While a new leader waits for its followers' copies: settles when enough are in or its wait
   * ran out (see PresenceGathering); /discover waits for it, then checks `missingCopies`.
   */
  get gathering(): Promise<void> | null {
    return this.takeover.gathering;
  }

  /**
   * Leader: the followers whose copies of the online list it has not taken in while its own
   * may lack clients (not one copy in came whole from a leader); empty otherwise.
   */
  get missingCopies(): string[] {
    return this.takeover.missingCopies;
  }

  /**
   * For a heartbeat just applied on the leader, whose client was last seen at the same addr at
   * `seenBefore` (-Infinity: it was not online there): null when it may be answered at once, or
   * a promise that settles once a majority holds it (rejected if this node stops leading first).
   */
  confirmation(seenBefore: number): Promise<void> | null {
    return this.needsConfirmation(seenBefore) ? this.heldSoon() : null;
  }

  /**
   * Whether a heartbeat applied at `now` (monotonic ms), whose client was last seen at
   * `seenBefore`, must wait.
   */
  needsConfirmation(seenBefore: number, now = this.clock.monotonicMs()): boolean {
    return this.stream.needsConfirmation(seenBefore, now);
  }

  /** Leader: whether its list and `follower`'s copy are a majority (see PresenceStream). */
  majorityWith(follower: string): boolean {
    return this.stream.majorityWith(follower);
  }

  /** Follower: whether its copy counts for a new leader (PresenceSyncContext.copyKnown). */
  get copyKnown(): boolean {
    return this.ctx.copyKnown;
  }

  /**
   * Settles once a majority holds every change made up to now (rejected if this node stops
   * leading first); a delta goes out at once for it.
   */
  heldSoon(): Promise<void> {
    return this.stream.heldSoon();
  }

  /** Leader: `take` gives each delta to a follower the batches of it held since the last one. */
  carryOnDeltas(take: HeldTaker): void {
    this.stream.carryOnDeltas(take);
  }

  /** Follower: `listener` gets every held-batch list a delta from a leader carries. */
  onHeldInDelta(listener: HeldListener): void {
    this.follower.onHeldInDelta(listener);
  }

  /**
   * Follower: heartbeats of a batch the leader counted this node a holder of go into its copy
   * (see HeartbeatForwarder.hold). PresenceService.heartbeat counts each as a gain, so the copy
   * no longer says it holds nothing a handed-over list lacks (PresenceFollower.holdsJust).
   */
  keepHeld(beats: readonly ForwardedBeat[]): void {
    const now = this.clock.monotonicMs();
    for (const [username, addr] of beats) this.presence.heartbeat(username, addr, now);
  }

  /** Follower: ms since its copy last took the current leader's stream (see PresenceFollower). */
  followLagMs(): number | null {
    return this.follower.followLagMs();
  }

  /** How old the leader's list this follower's copy holds may be (see PresenceFollower). */
  followReadLagMs(): number | null {
    return this.follower.followReadLagMs();
  }

  /** How old the registry this follower serves /users from may be (see PresenceFollower). */
  followRegistryLagMs(): number | null {
    return this.follower.followRegistryLagMs();
  }

  private onLeadership(view: Readonly<LeadershipView>, before: Readonly<LeadershipView>): void {
    const { ctx } = this;
    const was = ctx.isLeading(before) && before.term === view.term;
    if (ctx.isLeading(view) && !was) this.takeOffice(view.term);
    else if (!ctx.isLeading(view) && ctx.isLeading(before)) {
      this.stream.stepDown();
      ctx.copyComplete = this.takeover.listVouched;
      this.takeover.drop();
    }
    this.follower.onViewChanged();
  }

  /** The leader hands over: its last changes go out, and it marks its own list as handed over. */
  private handOver(): void {
    const final = this.stream.handOver();
    if (final !== null) this.follower.handedOwnList(final.term, final.seq);
  }

  private takeOffice(term: number): void {
    const ownSyncAt = this.ctx.lastSyncAt;
    const ownKnown = this.ctx.copyKnown;
    const handed = this.follower.takeHandedList(term);
    this.stream.lead(term);
    this.rearmFallback();
    this.ctx.lastSyncAt = this.clock.monotonicMs();
    // Our list replaces a follower's copy, so it goes to each only once that copy is folded
    // in: a node that restarted holds nobody, and must not wipe anyone else's list.
    this.takeover.startGathering(term, ownKnown, ownSyncAt, handed);
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
    // A follower sends no delta, and has no waits to expire (stepping down failed them all):
    // its fallback fires once and sleeps until it takes office, not 16 times a second.
    if (!this.stream.leading) return;
    this.rearmFallback();
    this.ctx.lastSyncAt = this.clock.monotonicMs();
    this.stream.sendDelta(false);
    this.takeover.askAgain();
    this.stream.expireWaits();
  }

  /** Starts the fallback's wait again (also once it has fired), from now. */
  private rearmFallback(): void {
    // Not once a test or onModuleDestroy removed it: refresh() would start it again.
    if (this.fallback && this.scheduler.doesExist('timeout', SYNC_JOB)) this.fallback.refresh();
  }
}
