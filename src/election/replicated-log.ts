import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CLOCK, type Clock } from '../common/clock';
import { LeaseNotHeldError } from '../common/http/leadership-errors';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { ElectionCore } from './consensus/election-core';
import type { Entry } from './consensus/core-options';
import type { Status } from './consensus/core-output';
import type { MembershipChange, MembershipConfig } from './consensus/membership';
import type { NodeLoad } from './consensus/load-rank';
import { APPEND_ENTRIES, type Message } from './consensus/messages';
import type { TransferReason } from './consensus/reasons';
import {
  ELECTION_TRANSPORT,
  type ElectionTransport,
  FATAL_HANDLER,
  type FatalHandler,
  type StateMachine,
} from './election-io';
import { coreSettings } from './core-config';
import { CoreTimer } from './core-timer';
import { LeadershipPublisher } from './leadership-publisher';
import { LogStorage } from './log-storage';
import { refusalError } from './membership-errors';
import { MembershipJoin } from './membership-join';
import { MembershipTracking } from './membership-tracking';
import { PendingProposals } from './pending-proposals';

/** Where this node's copy of the log stands: what GET / shows. */
export interface LogPosition {
  last_index: number;
  commit_index: number;
  applied_index: number;
  commit_lag: number;
}

/** What open() found on disk, for the startup log line. */
export interface OpenedLog {
  term: number;
  votedFor: string | null;
  commit: number;
  entries: number;
  snapshotIndex: number | null;
}

/**
 * The replicated log the rest of the node uses (RegistryService proposes to it), and the Raft
 * driver behind it: feeds the deterministic core time and messages, and runs each of its Ready
 * batches in the order the core demands (persist, then send, then apply, then publish).
 * `C` is what may be proposed, `R` what the attached state machine answers.
 */
@Injectable()
export class ReplicatedLog<C = unknown, R = unknown> {
  private readonly logger = new Logger('Election');
  private core: ElectionCore | null = null;
  private stopped = false;
  private stateMachine: StateMachine<R> | null = null;
  /** The entry the state machine was last brought up to (by an entry or a snapshot). */
  private appliedAt = { index: 0, term: 0 };
  private pipeline: Promise<void> = Promise.resolve();
  private readonly proposals = new PendingProposals<R>();
  private readonly timer: CoreTimer;
  private readonly members: MembershipTracking;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ELECTION_TRANSPORT) private readonly transport: ElectionTransport,
    private readonly storage: LogStorage,
    @Inject(FATAL_HANDLER) private readonly fatal: FatalHandler,
    private readonly publisher: LeadershipPublisher,
    scheduler: SchedulerRegistry,
    @Optional() joiner?: MembershipJoin,
  ) {
    this.timer = new CoreTimer(scheduler, clock, () => this.tick());
    this.members = new MembershipTracking(config, transport, this.logger, joiner);
  }

  /** The index of the last entry applied here (or restored from a snapshot). */
  get appliedIndex(): number {
    return this.appliedAt.index;
  }

  /** The registry plugs in here before the application starts. */
  attach(stateMachine: StateMachine<R>): void {
    this.stateMachine = stateMachine;
  }

  /** True from open() until stop(), or until a write failed and the node is stopping. */
  get running(): boolean {
    return this.core !== null && !this.stopped;
  }

  /**
   * Builds the core from what is on disk. Entries up to the stored commit index are handed out
   * again and re-applied, so the registry is rebuilt from the snapshot and the log before the
   * node serves.
   */
  async open(load: NodeLoad): Promise<OpenedLog> {
    const initial = await this.storage.open(this.stateMachine);
    const core = new ElectionCore({
      ...coreSettings(this.config),
      id: this.config.thisNode,
      ...(await this.members.bootstrap(initial)),
      random: Math.random,
      initial,
      now: this.clock.monotonicMs(),
    });
    core.setLoad(load);
    this.core = core;
    const { hardState, entries, snapshot } = initial;
    if (snapshot) this.appliedAt = { index: snapshot.index, term: snapshot.term };
    this.members.reportAtStart(core.status(this.clock.monotonicMs()));
    return {
      term: hardState.term,
      votedFor: hardState.votedFor,
      commit: hardState.commit ?? 0,
      entries: entries.length,
      snapshotIndex: snapshot?.index ?? null,
    };
  }

  /**
   * Appends `command` to the replicated log and resolves with the state machine's answer once it
   * is committed and applied here. Rejects when this node does not lead with its lease, or
   * loses leadership before the entry is applied (it may still commit under the next leader).
   */
  propose(command: C): Promise<R> {
    if (!this.core || this.stopped) return Promise.reject(new LeaseNotHeldError());
    if (!this.stateMachine) return Promise.reject(new Error('no state machine to apply the log'));
    const at = this.core.propose(command, this.clock.monotonicMs());
    if (!at) return Promise.reject(new LeaseNotHeldError());
    const applied = this.proposals.add(at);
    this.flush();
    return applied;
  }

  /**
   * Leader: appends one membership change and resolves once it is committed and applied here.
   * Rejects with the route's answer when the core refuses it (see judgeChange).
   */
  async changeMembership(change: MembershipChange): Promise<void> {
    if (!this.core || this.stopped) throw new LeaseNotHeldError();
    const at = this.core.changeMembership(change, this.clock.monotonicMs());
    if ('reason' in at) throw refusalError(at);
    const applied = this.proposals.add(at);
    this.flush();
    await applied;
  }

  /**
   * The state machine's image now, with the index and term of the last entry it holds: one
   * consistent cut, since nothing is applied while this synchronous call runs.
   */
  snapshotNow(): { index: number; term: number; data: unknown } | null {
    if (!this.core || !this.stateMachine) return null;
    return { ...this.appliedAt, data: this.stateMachine.snapshot() };
  }

  logPosition(): LogPosition {
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

  /** The membership in force (the same object until it changes); null before open(). */
  membership(): MembershipConfig | null {
    return this.core?.configuration ?? null;
  }

  /** The core's view at `now` (monotonic ms); null before open(). */
  status(now = this.clock.monotonicMs()): Status | null {
    return this.core?.status(now) ?? null;
  }

  /** A message from a peer, already checked on the wire. */
  step(msg: Message): void {
    if (!this.core || this.stopped) return;
    this.core.step(msg, this.clock.monotonicMs());
    this.flush();
  }

  /** The transport could not reach `peer`, and nothing listens there: its process is gone. */
  peerExited(peer: string): void {
    if (!this.core || this.stopped) return;
    this.core.peerUnreachable(peer, this.clock.monotonicMs(), true);
    this.flush();
  }

  setLoad(load: NodeLoad): void {
    this.core?.setLoad(load);
  }

  /**
   * Leader: names a successor (only `to` when given; null when none can take over) and asks it
   * to run now.
   */
  transferLeadership(reason: TransferReason, to?: string): string | null {
    if (!this.core || this.stopped) return null;
    const target = this.core.transferLeadership(this.clock.monotonicMs(), reason, to);
    this.flush();
    return target;
  }

  /** Queues one pass over the core's output; passes run one at a time, in order. */
  flush(): void {
    this.pipeline = this.pipeline.then(() => this.flushOnce());
  }

  /** Settles when every pass queued so far has run. */
  get settled(): Promise<void> {
    return this.pipeline;
  }

  /** For good: no more ticks, steps or passes. */
  stop(): void {
    this.stopped = true;
    this.timer.cancel();
  }

  /** After stop(): lets the last pass finish, fails what waits on it, closes the log file. */
  async close(): Promise<void> {
    await this.pipeline;
    this.proposals.failAll();
    await this.storage.close();
  }

  private tick(): void {
    if (!this.core || this.stopped) return;
    this.core.tick(this.clock.monotonicMs());
    this.flush();
  }

  private async flushOnce(): Promise<void> {
    const core = this.core;
    if (!core || this.stopped) return;
    const ready = core.ready();
    try {
      await this.storage.persist(ready, this.stateMachine);
    } catch (err) {
      // A vote or an acknowledgement must be on disk before anyone can count it. The core
      // already counts what it handed out as stored: going on could break a promise made to
      // the cluster. Stop instead.
      this.stopped = true;
      this.fatal('cannot persist the election state or the log', err);
      return;
    }
    if (ready.snapshot) this.appliedAt = { index: ready.snapshot.index, term: ready.snapshot.term };
    const appends = this.send(ready.messages);
    for (const e of ready.committed) this.apply(e);
    for (const change of ready.roleChanges) {
      this.publisher.roleChanged(change);
      if (change.role !== 'leader') this.proposals.failAll();
    }
    const status = core.status(this.clock.monotonicMs());
    this.members.follow(status);
    const term = status.term;
    this.publisher.publish(status, () => this.servesIn(term, core));
    if (appends > 0) this.publisher.appendsSent();
    if (!this.stopped) this.timer.armFor(core.nextDeadline());
    const last = ready.committed.at(-1);
    if (last && this.stateMachine) this.storage.snapshotAfter(last, core, this.stateMachine);
  }

  /** Sends the core's messages; returns how many were AppendEntries. */
  private send(messages: Message[]): number {
    let preVotes = 0;
    let preVoteTerm = 0;
    let appends = 0;
    for (const m of messages) {
      if (m.type === APPEND_ENTRIES) appends++;
      if (m.type === 'PreVote') {
        preVotes++;
        preVoteTerm = m.term; // the term it would run for, not yet adopted
      }
      // The successor must hear this leader's last words (presence) before it can win.
      if (m.type === 'TimeoutNow') this.publisher.handingOver(m.to);
      this.transport.send(m);
    }
    if (preVotes > 0) {
      this.logger.debug(
        `pre-vote round: asking ${preVotes} peers whether term ${preVoteTerm} could win`,
      );
    }
    return appends;
  }

  /**
   * Whether this node may answer as the leader of `term` now: it holds the lease, and has
   * applied an entry of its term (its no-op). A new leader holds every committed entry, but
   * until one of its own commits it cannot tell which of the older ones are (Raft §5.4.2,
   * §6.4): its registry could lack a registration its predecessor answered 200, and it would
   * answer that client's heartbeat 404 and leave it out of /users. A refusal of its no-op backs
   * the lease as well as an acceptance, so the lease alone does not say it.
   */
  private servesIn(term: number, core: ElectionCore): boolean {
    return this.appliedAt.term === term && core.leaseValid(this.clock.monotonicMs());
  }

  private apply(e: Entry): void {
    this.appliedAt = { index: e.index, term: e.term };
    if (!this.stateMachine) return;
    this.proposals.applied(e.index, e.term, this.stateMachine.apply(e.index, e.data));
  }
}
