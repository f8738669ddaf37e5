import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState, type LeadershipView } from '../election/leadership-state';
import { PeerChannel } from '../election/peer-channel';
import type { Envelope } from '../election/transport/envelope';
import {
  deltaProblem,
  fullProblem,
  PRESENCE_DELTA,
  PRESENCE_FULL,
  PRESENCE_GATHER,
  PRESENCE_REPORT,
  PRESENCE_SYNC_REQUEST,
  type PresenceDelta,
  type PresenceFull,
  type PresenceReport,
  RECORDS_PER_FRAME,
  reportProblem,
  requestProblem,
} from './presence-sync.messages';
import { type PresenceRecord, PresenceService } from './presence.service';

const SYNC_JOB = 'presence-sync';

/**
 * Streams the leader's online list to the followers, every heartbeat interval, as numbered
 * deltas; a follower that misses one asks for everything. So a new leader starts from who was
 * online, not from nobody, and a client that keeps heartbeating never drops out of /discover.
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
  /** When this node last had the leader's list: from the leader, or by being it. */
  private lastSyncAt: number | null = null;
  /** New leader: the followers' copies still awaited, and /discover's wait for them. */
  private gather: Gathering | null = null;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly leadership: LeadershipState,
    private readonly presence: PresenceService,
    private readonly channel: PeerChannel,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onModuleInit(): void {
    if (this.channel.others.length === 0) return;
    this.channel.on(PRESENCE_DELTA, deltaProblem, (e) => this.onDelta(e));
    this.channel.on(PRESENCE_FULL, fullProblem, (e) => this.onFull(e));
    this.channel.on(PRESENCE_SYNC_REQUEST, requestProblem, (e) => this.onRequest(e));
    this.channel.on(PRESENCE_GATHER, requestProblem, (e) => this.onGather(e));
    this.channel.on(PRESENCE_REPORT, reportProblem, (e) => this.onReport(e));
    this.leadership.onChange((view, before) => this.onLeadership(view, before));
    this.scheduler.addInterval(
      SYNC_JOB,
      setInterval(() => this.tick(), this.config.heartbeatIntervalMs),
    );
  }

  onModuleDestroy(): void {
    if (this.scheduler.doesExist('interval', SYNC_JOB)) this.scheduler.deleteInterval(SYNC_JOB);
    this.finishGathering('shutting down');
  }

  /**
   * While a new leader waits for its followers' copies: settles when they are in (or after
   * election_timeout_min_ms), so /discover never answers from a copy known to be partial.
   */
  get gathering(): Promise<void> | null {
    return this.gather?.done ?? null;
  }

  private isLeading(view: Readonly<LeadershipView>): boolean {
    return view.role === 'leader' && view.leader === this.config.thisNode;
  }

  private onLeadership(view: Readonly<LeadershipView>, before: Readonly<LeadershipView>): void {
    const was = this.isLeading(before) && before.term === view.term;
    if (this.isLeading(view) && !was) {
      const now = this.clock.monotonicMs();
      const gap = this.lastSyncAt === null ? 0 : Math.max(0, now - this.lastSyncAt);
      this.presence.extendBy(gap);
      this.presence.trackChanges(true);
      this.leaderTerm = view.term;
      this.seq = 0;
      this.lastSyncAt = now;
      this.logger.log(
        `leading term ${view.term} with ${this.presence.count} clients online from the previous ` +
          `leader's list (timeouts pushed back ${Math.round(gap)} ms for the election)`,
      );
      // Our list replaces the followers' copies, so it goes out only once theirs are folded in:
      // a node that restarted holds nobody, and must not wipe everyone else's list.
      if (!this.startGathering(view.term, gap)) this.sendFullToAll();
    } else if (!this.isLeading(view) && this.isLeading(before)) {
      this.presence.trackChanges(false);
      this.leaderTerm = -1;
      this.finishGathering('no longer leading');
    }
  }

  /**
   * Asks every follower it can reach for its copy. Its own may lack clients: it restarted and
   * holds nobody, or it was cut off while others heard of new clients.
   */
  private startGathering(term: number, gapMs: number): boolean {
    this.finishGathering('a new term');
    const awaited = new Set(
      this.channel.others.filter((peer) => this.channel.send(peer, PRESENCE_GATHER, term, {})),
    );
    if (awaited.size === 0) return false;
    let settle: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const timer = setTimeout(
      () => this.finishGathering('timed out'),
      this.config.electionTimeoutMinMs,
    );
    this.gather = { term, gapMs, awaited, parts: new Map(), added: 0, done, settle, timer };
    return true;
  }

  private sendFullToAll(): void {
    for (const peer of this.channel.others) this.sendFull(peer);
  }

  private finishGathering(why: string): void {
    const g = this.gather;
    if (!g) return;
    this.gather = null;
    clearTimeout(g.timer);
    g.settle();
    const missing = g.awaited.size > 0 ? `; no answer from ${[...g.awaited].join(', ')}` : '';
    this.logger.log(
      `term ${g.term}: followers' copies added ${g.added} clients this node did not know (${why})${missing}`,
    );
    const view = this.leadership.current;
    if (this.isLeading(view) && view.term === g.term && g.term === this.leaderTerm) {
      this.sendFullToAll();
    }
  }

  private onGather(e: Envelope): void {
    const view = this.leadership.current;
    if (e.term < view.term || this.isLeading(view)) return;
    const known = this.lastSyncAt !== null;
    const parts = inFrames(known ? this.presence.snapshot() : []);
    for (const [chunk, records] of parts.entries()) {
      const report: PresenceReport = { chunk, chunks: parts.length, known, records };
      this.channel.send(e.from, PRESENCE_REPORT, e.term, { ...report });
    }
  }

  private onReport(e: Envelope): void {
    const g = this.gather;
    if (!g || e.term !== g.term || !g.awaited.has(e.from)) return;
    const r = e as unknown as PresenceReport;
    const got = g.parts.get(e.from) ?? [];
    if (r.chunk !== got.length) return; // out of turn: a chunk was lost, and the timeout decides
    got.push(r.records);
    g.parts.set(e.from, got);
    if (got.length < r.chunks) return;
    g.parts.delete(e.from);
    g.awaited.delete(e.from);
    // Their ages include the election's gap, which this node's own copy was forgiven.
    const records = got
      .flat()
      .map(([name, addr, age]): PresenceRecord => [name, addr, Math.max(0, age - g.gapMs)]);
    g.added += this.presence.merge(records);
    if (g.awaited.size === 0) this.finishGathering('every follower answered');
  }

  private tick(): void {
    const view = this.leadership.current;
    if (!this.isLeading(view) || view.term !== this.leaderTerm) return;
    this.lastSyncAt = this.clock.monotonicMs();
    // Deltas follow the full list, which waits for the gathering; the changes keep till then.
    if (this.gather) return;
    const { online, offline } = this.presence.drainChanges();
    // An empty delta still goes out: it tells followers the stream is alive and lets one that
    // missed a delta notice at once.
    const onlineParts = inFrames(online);
    const offlineParts = inFrames(offline);
    for (let i = 0; i < Math.max(onlineParts.length, offlineParts.length); i++) {
      const delta: PresenceDelta = {
        seq: ++this.seq,
        online: onlineParts[i] ?? [],
        offline: offlineParts[i] ?? [],
      };
      for (const peer of this.channel.others)
        this.channel.send(peer, PRESENCE_DELTA, this.leaderTerm, { ...delta });
    }
  }

  private sendFull(to: string): void {
    const parts = inFrames(this.presence.snapshot());
    for (const [chunk, records] of parts.entries()) {
      const full: PresenceFull = { seq: this.seq, chunk, chunks: parts.length, records };
      this.channel.send(to, PRESENCE_FULL, this.leaderTerm, { ...full });
    }
  }

  /** Only the current leader's stream counts; anything else is stale and ignored. */
  private fromLeader(e: Envelope): boolean {
    const view = this.leadership.current;
    return e.from === view.leader && e.term === view.term && !this.isLeading(view);
  }

  private onDelta(e: Envelope): void {
    if (!this.fromLeader(e)) return;
    const d = e as unknown as PresenceDelta;
    if (e.term !== this.followTerm || this.followSeq === null || d.seq !== this.followSeq + 1) {
      this.requestFull(e);
      return;
    }
    this.presence.apply(d);
    this.followSeq = d.seq;
    this.lastSyncAt = this.clock.monotonicMs();
  }

  private onFull(e: Envelope): void {
    if (!this.fromLeader(e)) return;
    const f = e as unknown as PresenceFull;
    if (f.chunk === 0) this.assembling = { term: e.term, seq: f.seq, records: [] };
    const a = this.assembling;
    if (!a || a.term !== e.term || a.seq !== f.seq) return; // a chunk of a list we did not start
    a.records.push(...f.records);
    if (f.chunk < f.chunks - 1) return;
    this.assembling = null;
    this.presence.replaceAll(a.records);
    this.followTerm = e.term;
    this.followSeq = f.seq;
    this.lastSyncAt = this.clock.monotonicMs();
    this.logger.debug(`shadow list from leader ${e.from}: ${a.records.length} clients online`);
  }

  private requestFull(e: Envelope): void {
    // One request per election timeout: the full list is on its way or was lost.
    const now = this.clock.monotonicMs();
    if (now - this.fullRequestedAt < this.config.electionTimeoutMinMs && e.term === this.followTerm)
      return;
    this.fullRequestedAt = now;
    this.followTerm = e.term;
    this.channel.send(e.from, PRESENCE_SYNC_REQUEST, e.term, {});
  }

  private onRequest(e: Envelope): void {
    const view = this.leadership.current;
    // While gathering, the full list is not ready; everyone gets it when it is.
    if (this.isLeading(view) && e.term === this.leaderTerm && !this.gather) this.sendFull(e.from);
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

interface Gathering {
  term: number;
  gapMs: number;
  awaited: Set<string>;
  parts: Map<string, PresenceRecord[][]>;
  added: number;
  done: Promise<void>;
  settle: () => void;
  timer: NodeJS.Timeout;
}
