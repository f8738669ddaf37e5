import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CLOCK, type Clock } from '../common/clock';
import { LeaderOutOfReachError } from '../common/http/leadership-errors';
import { startNamedInterval, stopNamedInterval } from '../common/named-interval';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState } from '../election/leadership-state';
import { PeerChannel } from '../election/peer-channel';
import {
  type ForwardedBeat,
  forwardAckProblem,
  PRESENCE_FORWARD,
  PRESENCE_FORWARD_ACK,
  type PresenceForward,
  type PresenceForwardAck,
} from './heartbeat-forward.messages';
import { PresenceReplicator } from './presence-replicator';
import { RECORDS_PER_FRAME } from './presence-sync.messages';

const EXPIRY_JOB = 'heartbeat-forward-expiry';

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A batch sent to the leader, awaiting its acknowledgement. */
interface InFlight {
  term: number;
  leader: string;
  sentAt: number;
  beats: ForwardedBeat[];
  waiters: Waiter[];
}

/**
 * A follower's side of follower_heartbeats: the heartbeats it accepted go to the leader in
 * batches (everything accepted in one turn of the event loop, so at most one heartbeat interval
 * late), and each is answered 200 only once the leader acknowledged its batch, which it does
 * once a majority holds it, as for its own (ForwardedHeartbeats), counting this follower when
 * its copy is one a new leader takes in: it puts the batch in that copy before answering. So
 * what a follower acknowledged is never lost across a change of leader.
 *
 * "Within its lease": a follower that has not had the leader's presence stream for
 * election_timeout_min_ms accepts no heartbeat, and a batch not acknowledged within that time
 * fails, so no heartbeat is accepted by a node that cannot pass it on.
 */
@Injectable()
export class HeartbeatForwarder implements OnModuleInit, OnModuleDestroy {
  /** The next batch, by client: a second heartbeat of the same client joins the first. */
  private pending = new Map<string, { addr: string; waiters: Waiter[] }>();
  private readonly inFlight = new Map<number, InFlight>();
  private nextBatch = 0;
  private flushScheduled = false;
  private readonly reachMs: number;
  /** Whether this node takes heartbeats as a follower at all. */
  readonly enabled: boolean;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly leadership: LeadershipState,
    private readonly replicator: PresenceReplicator,
    private readonly channel: PeerChannel,
    private readonly scheduler: SchedulerRegistry,
  ) {
    this.reachMs = config.electionTimeoutMinMs;
    this.enabled = config.followerHeartbeats && channel.others.length > 0;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    this.channel.on<PresenceForwardAck>(PRESENCE_FORWARD_ACK, forwardAckProblem, (e) =>
      this.settle(e.from, e.term, e.batches, e.held, e.holder === true),
    );
    this.replicator.onHeldInDelta((from, term, batches) =>
      this.settle(from, term, batches, true, false),
    );
    // A new term or leader: batches sent to the old one are not coming back.
    this.leadership.onChange(() => this.failAll());
  }

  onModuleDestroy(): void {
    stopNamedInterval(this.scheduler, EXPIRY_JOB);
    this.failAll();
  }

  /** A follower that heard its leader's stream within its lease: it may take heartbeats. */
  inReach(): boolean {
    const lag = this.replicator.followLagMs();
    return this.enabled && lag !== null && lag < this.reachMs;
  }

  /** The refusal for a heartbeat this follower cannot pass on. */
  outOfReach(): LeaderOutOfReachError {
    const { leader, leaderApi } = this.leadership.current;
    return new LeaderOutOfReachError(leader, leaderApi);
  }

  /** Settles once the leader holds the heartbeat as its own; rejects if it cannot. */
  forward(username: string, addr: string): Promise<void> {
    if (!this.inReach()) return Promise.reject(this.outOfReach());
    return new Promise<void>((resolve, reject) => {
      const waiter = { resolve, reject };
      const same = this.pending.get(username);
      if (same) {
        same.addr = addr;
        same.waiters.push(waiter);
      } else this.pending.set(username, { addr, waiters: [waiter] });
      if (this.pending.size >= RECORDS_PER_FRAME) this.flush();
      else this.scheduleFlush();
    });
  }

  /** Batches awaiting the leader's acknowledgement, and heartbeats not yet sent. */
  get waiting(): { batches: number; beats: number } {
    return { batches: this.inFlight.size, beats: this.pending.size };
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const { term, leader } = this.leadership.current;
    const beats: ForwardedBeat[] = [];
    const waiters: Waiter[] = [];
    for (const [username, p] of batch) {
      beats.push([username, p.addr]);
      waiters.push(...p.waiters);
    }
    const id = this.nextBatch++;
    const holds = this.replicator.copyKnown ? { holds: true as const } : {};
    const body: PresenceForward = { batch: id, beats, ...holds };
    if (
      !this.inReach() ||
      leader === null ||
      !this.channel.send(leader, PRESENCE_FORWARD, term, body)
    ) {
      const why = this.outOfReach();
      for (const w of waiters) w.reject(why);
      return;
    }
    this.inFlight.set(id, { term, leader, sentAt: this.clock.monotonicMs(), beats, waiters });
    this.watchExpiry();
  }

  /**
   * The expiry timer runs only while a batch is in flight: a leader, or a follower no client
   * heartbeats through, is not woken for it.
   */
  private watchExpiry(): void {
    if (this.scheduler.doesExist('interval', EXPIRY_JOB)) return;
    // Unref'd: a batch taken during shutdown must not hold the process open until it expires.
    startNamedInterval(
      this.scheduler,
      EXPIRY_JOB,
      this.config.heartbeatIntervalMs,
      () => this.expire(),
      { unref: true },
    );
  }

  /**
   * The leader `from` answered `batches` in `term`: in a PresenceForwardAck or on a delta.
   * `holder`: it counted this node among their holders.
   */
  private settle(
    from: string,
    term: number,
    batches: number[],
    held: boolean,
    holder: boolean,
  ): void {
    for (const id of batches) {
      const batch = this.inFlight.get(id);
      if (!batch || batch.leader !== from || batch.term !== term) continue;
      this.inFlight.delete(id);
      if (held && holder) this.hold(batch);
      else if (held) for (const w of batch.waiters) w.resolve();
      else {
        const why = this.outOfReach();
        for (const w of batch.waiters) w.reject(why);
      }
    }
  }

  /**
   * A batch the leader counted this node a holder of goes into its own copy before its clients
   * hear 200. The leader answered in the call that applied the batch, so the frames of its
   * stream before the answer hold older changes, and those after it newer ones: nothing older
   * takes these beats out of the copy again, and nothing newer is overwritten by them. A batch
   * held by a round is not kept: its delta reached this copy before the answer did.
   */
  private hold(batch: InFlight): void {
    this.replicator.keepHeld(batch.beats);
    for (const w of batch.waiters) w.resolve();
  }

  /** Batches the leader did not acknowledge within the lease fail: their clients try again. */
  private expire(): void {
    const before = this.clock.monotonicMs() - this.reachMs;
    for (const [id, batch] of this.inFlight) {
      if (batch.sentAt > before) continue;
      this.inFlight.delete(id);
      const why = this.outOfReach();
      for (const w of batch.waiters) w.reject(why);
    }
    if (this.inFlight.size === 0) stopNamedInterval(this.scheduler, EXPIRY_JOB);
  }

  private failAll(): void {
    const why = this.outOfReach();
    for (const batch of this.inFlight.values()) for (const w of batch.waiters) w.reject(why);
    this.inFlight.clear();
    for (const p of this.pending.values()) for (const w of p.waiters) w.reject(why);
    this.pending.clear();
  }
}
