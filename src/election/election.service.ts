import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { formatHost } from '../common/address';
import { LeaseNotHeldError } from '../common/http/leadership-errors';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { buildClusterView, type ClusterView, type StatusForView } from './cluster-view';
import { ElectionCore } from './consensus/election-core';
import type { RaftRole } from './consensus/core-output';
import {
  DURABLE_LOG,
  type DurableLog,
  ELECTION_TRANSPORT,
  type ElectionTransport,
  FATAL_HANDLER,
  type FatalHandler,
  LOAD_SAMPLER,
  type LoadSampler,
  type StateMachine,
  HARD_STATE_STORE,
  type HardStateStore,
} from './election-io';
import { LeadershipState, type PublicRole } from './leadership-state';
import { PeerChannel } from './peer-channel';
import type { Envelope } from './transport/envelope';
import { toMessage } from './wire-message';
import { APPEND_ENTRIES_RESPONSE } from './consensus/messages';

/** How often a commit-index-only change of the hard state is written. */
const COMMIT_SAVE_INTERVAL_MS = 1000;
/** Longest a timer sleeps, so a clock oddity can never park the election. */
const MAX_SLEEP_MS = 1000;

/**
 * Drives the deterministic election core: feeds it time, messages and load; persists its vote
 * before sending; sends what it asks; publishes who leads. Owns the TCP server and the timers,
 * and starts and stops them with the application.
 */
@Injectable()
export class ElectionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Election');
  private readonly peerApis = new Map<string, string>();
  /** Monotonic ms of the last frame of any kind (keepalives too) from each peer. */
  private readonly peerHeardAt = new Map<string, number>();
  private readonly rttListeners: ((peer: string, seconds: number) => void)[] = [];
  private core!: ElectionCore;
  private timer: NodeJS.Timeout | null = null;
  private cpuTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private stateMachine: StateMachine | null = null;
  private pipeline: Promise<void> = Promise.resolve();
  private readonly proposals = new Map<
    number,
    { term: number; resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  private lastSnapshotIndex = 0;
  private lastSaved: { term: number; votedFor: string | null } | null = null;
  private commitSaveFailing = false;
  private lastSavedAt = 0;
  private closed = false;

  /**
   * A refused redial proves the peer's process is gone only when peers are dialled at their
   * real listeners. Behind a proxy or NAT (ELECTION_BIND differs from this_node) a refusal may
   * come from the proxy while the peer lives, so it is not taken as proof.
   */
  private readonly refusalProvesExit: boolean;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly leadership: LeadershipState,
    @Inject(ELECTION_TRANSPORT) private readonly transport: ElectionTransport,
    @Inject(HARD_STATE_STORE) private readonly votes: HardStateStore,
    @Inject(LOAD_SAMPLER) private readonly cpu: LoadSampler,
    @Inject(FATAL_HANDLER) private readonly fatal: FatalHandler,
    @Inject(DURABLE_LOG) private readonly log: DurableLog,
    @Optional() private readonly channel?: PeerChannel,
  ) {
    this.refusalProvesExit =
      `${formatHost(config.electionBind.host)}:${config.electionBind.port}` === config.thisNode;
  }

  async onApplicationBootstrap(): Promise<void> {
    const initial = this.votes.load();
    const stored = await this.log.open();
    if (stored.snapshot) {
      this.stateMachine?.restore(stored.snapshot.index, stored.snapshot.data);
      this.lastSnapshotIndex = stored.snapshot.index;
    }
    const c = this.config;
    this.core = new ElectionCore({
      id: c.thisNode,
      peers: c.peers,
      heartbeatIntervalMs: c.heartbeatIntervalMs,
      electionTimeoutMinMs: c.electionTimeoutMinMs,
      electionTimeoutMaxMs: c.electionTimeoutMaxMs,
      leaderTermMs: c.leaderTermMs,
      electionRetryMs: c.electionRetryMs,
      cpuHysteresisPct: c.cpuHysteresisPct,
      leaseSafetyMarginMs: leaseSafetyMargin(c),
      random: Math.random,
      // Entries up to the stored commit index are handed out again and re-applied, so the
      // registry is rebuilt from the snapshot and the log before the node serves.
      initial: { hardState: initial, entries: stored.entries, snapshot: stored.snapshot },
      now: this.clock.monotonicMs(),
    });
    this.core.setLoad(this.cpu.sample());
    this.logger.log(
      `starting in term ${initial.term}${initial.votedFor ? `, voted for ${initial.votedFor}` : ''}`,
    );
    await this.transport.start({
      message: (e) => this.onEnvelope(e),
      unreachable: (peer, refused) => {
        // Only a refusal proves the process is gone; a timeout may be a slow network, and
        // gets no shortcut: the election timeout decides.
        if (this.stopped || !refused || !this.refusalProvesExit) return;
        this.core.peerUnreachable(peer, this.clock.monotonicMs(), true);
        this.flush();
      },
      ping: (e) => this.heard(e),
    });
    this.logger.log(
      `Leader election TCP listener bound to ${c.electionBind.host}:${c.electionBind.port} as ${c.thisNode}` +
        (c.clusterSecret
          ? '; peers must prove CLUSTER_SECRET and every frame is authenticated'
          : '; no CLUSTER_SECRET: any process listed in peers is trusted'),
    );
    this.cpuTimer = setInterval(() => this.core.setLoad(this.cpu.sample()), c.cpuRefreshMs);
    this.flush();
    await this.pipeline;
    this.logger.log(
      `log: ${stored.entries.length} entries after ${stored.snapshot ? `a snapshot at ${stored.snapshot.index}` : 'no snapshot'}, commit ${initial.commit}`,
    );
  }

  /** Where this node's copy of the log stands: what GET / shows. */
  logPosition(): {
    last_index: number;
    commit_index: number;
    applied_index: number;
    commit_lag: number;
  } {
    if (!this.core) return { last_index: 0, commit_index: 0, applied_index: 0, commit_lag: 0 };
    const s = this.core.status(this.clock.monotonicMs());
    return {
      last_index: s.lastIndex,
      commit_index: s.commit,
      applied_index: s.applied,
      // Entries the leader has committed that this node has not applied yet.
      commit_lag: Math.max(0, s.leaderCommit - s.applied),
    };
  }

  /**
   * The cluster as this node knows it, for GET /cluster: its own row from the core, peers from
   * the core's peer table and what the transport last heard, so a follower sees its fellow
   * followers through their keepalives, not only the leader.
   */
  clusterView(): ClusterView {
    const c = this.config;
    const now = this.clock.monotonicMs();
    const self = { node: c.thisNode, api: c.apiUrl };
    const status = this.core?.status(now) ?? this.statusBeforeStart();
    return buildClusterView(
      status,
      self,
      {
        api: (peer) => this.peerApis.get(peer) ?? null,
        heardAt: (peer) => this.peerHeardAt.get(peer) ?? null,
        connected: (peer) => this.transport.isConnected?.(peer),
        // The transport's own limit: it drops an inbound link silent for longer.
        silenceLimitMs: 3 * c.heartbeatIntervalMs + c.netTimeoutMs,
      },
      now,
    );
  }

  /** What GET /cluster shows before the core exists: this node's load, and peers unheard. */
  private statusBeforeStart(): StatusForView {
    const c = this.config;
    const load = this.cpu.sample();
    return {
      role: 'follower',
      term: 0,
      leader: null,
      cpu: load.machine,
      background: load.background,
      peers: c.peers
        .filter((p) => p !== c.thisNode)
        .sort()
        .map((id) => ({
          id,
          cpu: null,
          background: null,
          lastContact: null,
          unreachableSince: null,
        })),
    };
  }

  /** Called with each heartbeat round trip to a follower while this node leads. */
  onPeerRtt(listener: (peer: string, seconds: number) => void): void {
    this.rttListeners.push(listener);
  }

  /** The registry plugs in here before the application starts. */
  attach(stateMachine: StateMachine): void {
    this.stateMachine = stateMachine;
  }

  /**
   * Appends `data` to the replicated log and resolves with the state machine's answer once it
   * is committed and applied here. Rejects when this node does not lead with its lease, or
   * loses leadership before the entry is applied (it may still commit under the next leader).
   */
  propose(data: unknown): Promise<unknown> {
    if (this.stopped || !this.core) return Promise.reject(new LeaseNotHeldError());
    const at = this.core.propose(data, this.clock.monotonicMs());
    if (!at) return Promise.reject(new LeaseNotHeldError());
    return new Promise((resolve, reject) => {
      this.proposals.set(at.index, { term: at.term, resolve, reject });
      this.flush();
    });
  }

  /** A leader hands over before it goes, so clients see no gap; then the port closes. */
  async onModuleDestroy(): Promise<void> {
    if (!this.core || this.closed) return;
    this.closed = true;
    // From here on no leader-only request may succeed here, whatever the core decides: the
    // successor may serve within milliseconds, and our port is about to close.
    this.leadership.stopServing();
    if (!this.stopped) await this.handOver();
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.cpuTimer) clearInterval(this.cpuTimer);
    await this.transport.stop();
    await this.pipeline;
    this.failProposals();
    await this.log.close();
  }

  /** A leader names a successor and waits, briefly, to see it take over. */
  private async handOver(): Promise<void> {
    const started = this.clock.monotonicMs();
    const target = this.core.transferLeadership(started, 'shutdown');
    this.flush();
    if (!target) return;
    const limit = Math.min(this.config.electionTimeoutMinMs, 1500);
    const handedOver = await this.until(() => {
      const s = this.core.status(this.clock.monotonicMs());
      return s.role !== 'leader' && s.leader !== null;
    }, limit);
    const took = Math.round(this.clock.monotonicMs() - started);
    if (handedOver) {
      this.logger.log(`handed leadership to ${this.core.status(started).leader} in ${took} ms`);
    } else {
      this.logger.warn(`no successor took over within ${limit} ms; stopping anyway`);
    }
  }

  private heard(e: Envelope): void {
    this.peerApis.set(e.from, e.api);
    this.peerHeardAt.set(e.from, this.clock.monotonicMs());
  }

  private onEnvelope(e: Envelope): void {
    this.heard(e);
    if (this.channel?.handles(e.type)) {
      if (!this.stopped) this.channel.dispatch(e);
      return;
    }
    const msg = toMessage(e);
    if (typeof msg === 'string') throw new Error(msg); // the transport drops the connection
    if (msg.type === APPEND_ENTRIES_RESPONSE) this.measureRtt(msg.from, msg.sentAt);
    if (this.stopped) return;
    this.core.step(msg, this.clock.monotonicMs());
    this.flush();
  }

  /**
   * The round trip of a heartbeat, measured here rather than in the core: a response echoes the
   * heartbeat's `sentAt`, which is this node's monotonic clock as the driver fed it to the core,
   * so now minus sentAt is the round trip without the core keeping any new state. It includes
   * the follower's fsync when the heartbeat carried entries, and our queueing before sending.
   */
  private measureRtt(peer: string, sentAt: number): void {
    if (this.rttListeners.length === 0) return;
    const ms = this.clock.monotonicMs() - sentAt;
    if (!(ms >= 0)) return;
    for (const listener of this.rttListeners) listener(peer, ms / 1000);
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    this.core.tick(this.clock.monotonicMs());
    this.flush();
  }

  /** Queues one pass over the core's output; passes run one at a time, in order. */
  private flush(): void {
    this.pipeline = this.pipeline.then(() => this.flushOnce());
  }

  /**
   * Persist, then send, then apply, then publish: a vote or an acknowledgement must be on disk
   * before anyone can count it, and an entry is applied only once committed.
   */
  private async flushOnce(): Promise<void> {
    if (this.stopped) return;
    const ready = this.core.ready();
    try {
      if (ready.snapshot) {
        await this.log.installSnapshot(ready.snapshot);
        this.stateMachine?.restore(ready.snapshot.index, ready.snapshot.data);
        this.lastSnapshotIndex = ready.snapshot.index;
      }
      if (ready.entries.length > 0 || ready.truncateFrom !== undefined) {
        await this.log.append(ready.entries, ready.truncateFrom);
      }
      if (ready.hardState) this.saveHardState(ready.hardState);
    } catch (err) {
      // The core already counts this vote or entry as stored; going on could break a promise
      // made to the cluster. Stop instead.
      this.stopped = true;
      this.fatal('cannot persist the election state or the log', err);
      return;
    }
    let preVotes = 0;
    let preVoteTerm = 0;
    for (const m of ready.messages) {
      if (m.type === 'PreVote') {
        preVotes++;
        preVoteTerm = m.term; // the term it would run for, not yet adopted
      }
      // The successor must hear this leader's last words (presence) before it can win.
      if (m.type === 'TimeoutNow') this.leadership.handingOver(m.to);
      this.transport.send(m);
    }
    if (preVotes > 0) {
      this.logger.debug(
        `pre-vote round: asking ${preVotes} peers whether term ${preVoteTerm} could win`,
      );
    }
    for (const e of ready.committed) this.applyEntry(e.index, e.term, e.data);
    for (const change of ready.roleChanges) {
      const leader = change.leader ? `, leader ${change.leader}` : '';
      this.logger.log(
        `${describeRole(change.role)} in term ${change.term}${leader} (reason: ${change.reason})`,
      );
      this.leadership.announce({
        role: publicRole(change.role),
        term: change.term,
        leader: change.leader ?? null,
        reason: change.reason,
      });
      if (change.role !== 'leader') this.failProposals();
    }
    this.publish();
    this.arm();
    await this.maybeSnapshot(ready.committed.at(-1));
  }

  /**
   * Term and vote are saved at once, before anything depends on them. The commit index alone
   * is saved at most once a second: it only tells a restarted node how much to re-apply before
   * the leader tells it again, and entries are durable in the log anyway. Saving it on every
   * commit cost the leader a blocking fsync per batch.
   */
  /**
   * Term and vote must be on disk before anyone hears of them: failing that is fatal. The commit
   * index is only a head start for the next restart (the log holds every entry), so failing to
   * write it while the disk is full or read-only is said once and tried again later.
   */
  private saveHardState(hs: { term: number; votedFor: string | null; commit?: number }): void {
    const last = this.lastSaved;
    const voteChanged = !last || hs.term !== last.term || hs.votedFor !== last.votedFor;
    if (!this.mustSave(hs)) return;
    try {
      this.votes.save(hs);
      this.commitSaveFailing = false;
    } catch (err) {
      if (voteChanged) throw err;
      if (!this.commitSaveFailing) {
        this.logger.warn(
          `commit index ${hs.commit ?? 0} not saved (${(err as Error).message}); the log still holds every entry, trying again later`,
        );
      }
      this.commitSaveFailing = true;
    }
  }

  private mustSave(hs: { term: number; votedFor: string | null; commit?: number }): boolean {
    const now = this.clock.monotonicMs();
    const last = this.lastSaved;
    const due =
      !last ||
      hs.term !== last.term ||
      hs.votedFor !== last.votedFor ||
      now - this.lastSavedAt >= COMMIT_SAVE_INTERVAL_MS;
    if (due) {
      this.lastSaved = { term: hs.term, votedFor: hs.votedFor };
      this.lastSavedAt = now;
    }
    return due;
  }

  private applyEntry(index: number, term: number, data: unknown): void {
    const result = this.stateMachine?.apply(index, data);
    const waiting = this.proposals.get(index);
    if (!waiting) return;
    this.proposals.delete(index);
    // Another leader's entry took this index: ours was never committed.
    if (waiting.term === term) waiting.resolve(result);
    else waiting.reject(new LeaseNotHeldError());
  }

  /** Proposals this node can no longer see through; each may or may not commit elsewhere. */
  private failProposals(): void {
    for (const p of this.proposals.values()) p.reject(new LeaseNotHeldError());
    this.proposals.clear();
  }

  private async maybeSnapshot(last: { index: number; term: number } | undefined): Promise<void> {
    if (!last || !this.stateMachine) return;
    if (last.index - this.lastSnapshotIndex < this.config.snapshotEvery) return;
    const data = this.stateMachine.snapshot();
    if (!this.core.compact(last.index, data)) return;
    try {
      await this.log.saveSnapshot({ index: last.index, term: last.term, data });
    } catch (err) {
      // The log on disk still holds every entry, so nothing is lost; the next try waits for
      // another snapshot_every entries rather than rewrite the registry on every pass.
      this.lastSnapshotIndex = last.index;
      this.logger.warn(
        `snapshot at index ${last.index} not written (${(err as Error).message}); the log keeps every entry, retrying after ${this.config.snapshotEvery} more`,
      );
      return;
    }
    this.lastSnapshotIndex = last.index;
    this.logger.log(`snapshot at index ${last.index}; log compacted`);
  }

  private publish(): void {
    const s = this.core.status(this.clock.monotonicMs());
    const leaderApi =
      s.leader === null
        ? null
        : s.leader === this.config.thisNode
          ? this.config.apiUrl
          : (this.peerApis.get(s.leader) ?? null);
    this.leadership.update(
      { role: publicRole(s.role), term: s.term, leader: s.leader, leaderApi },
      // Asked on every leader-only request: the cheap check, not a whole status.
      () => this.core.leaseValid(this.clock.monotonicMs()),
    );
  }

  private arm(): void {
    if (this.stopped) return;
    const wait = Math.min(
      MAX_SLEEP_MS,
      Math.max(0, this.core.nextDeadline() - this.clock.monotonicMs()),
    );
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), wait);
  }

  private async until(done: () => boolean, limitMs: number): Promise<boolean> {
    const deadline = this.clock.monotonicMs() + limitMs;
    while (!done()) {
      if (this.clock.monotonicMs() > deadline) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }
}

/**
 * Room for clock-rate differences and scheduling delay between nodes: the lease is the minimum
 * election timeout less this, so a leader stops serving before any follower may vote it out.
 */
function leaseSafetyMargin(c: ClusterConfig): number {
  return Math.max(
    1,
    Math.min(c.electionTimeoutMinMs - 1, Math.round(c.electionTimeoutMinMs * 0.15)),
  );
}

function publicRole(role: RaftRole): PublicRole {
  return role === 'pre-candidate' ? 'candidate' : role;
}

function describeRole(role: RaftRole): string {
  switch (role) {
    case 'leader':
      return 'became leader';
    case 'follower':
      return 'follower';
    case 'candidate':
      return 'candidate';
    case 'pre-candidate':
      return 'pre-candidate';
  }
}
