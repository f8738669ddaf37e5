import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { formatHost } from '../common/address';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { ElectionCore } from './consensus/election-core';
import type { Role } from './consensus/core-output';
import {
  ELECTION_TRANSPORT,
  type ElectionTransport,
  FATAL_HANDLER,
  type FatalHandler,
  LOAD_SAMPLER,
  type LoadSampler,
  VOTE_STORE,
  type VoteStore,
} from './election-io';
import { LeadershipState, type Role as PublicRole } from './leadership-state';
import { PeerChannel } from './peer-channel';
import type { Envelope } from './transport/envelope';
import { toMessage } from './wire-message';

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
  private core!: ElectionCore;
  private timer: NodeJS.Timeout | null = null;
  private cpuTimer: NodeJS.Timeout | null = null;
  private stopped = false;
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
    @Inject(VOTE_STORE) private readonly votes: VoteStore,
    @Inject(LOAD_SAMPLER) private readonly cpu: LoadSampler,
    @Inject(FATAL_HANDLER) private readonly fatal: FatalHandler,
    @Optional() private readonly channel?: PeerChannel,
  ) {
    this.refusalProvesExit =
      `${formatHost(config.electionBind.host)}:${config.electionBind.port}` === config.thisNode;
  }

  async onApplicationBootstrap(): Promise<void> {
    const initial = this.votes.load();
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
      // Nothing proposes yet, so the log holds only the no-ops new leaders append. It lives in
      // the core's memory alone and is NOT durable: a restarted node starts with an empty log.
      // Entry persistence (Ready.entries, truncateFrom, snapshot) is wired together with the
      // registration log, which is also when committed entries get applied.
      initial: { hardState: initial },
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
    });
    this.logger.log(
      `Leader election TCP listener bound to ${c.electionBind.host}:${c.electionBind.port} as ${c.thisNode}`,
    );
    this.cpuTimer = setInterval(() => this.core.setLoad(this.cpu.sample()), c.cpuRefreshMs);
    this.flush();
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

  private onEnvelope(e: Envelope): void {
    if (this.channel?.handles(e.type)) {
      if (!this.stopped) this.channel.dispatch(e);
      return;
    }
    const msg = toMessage(e);
    if (typeof msg === 'string') throw new Error(msg); // the transport drops the connection
    this.peerApis.set(e.from, e.api);
    if (this.stopped) return;
    this.core.step(msg, this.clock.monotonicMs());
    this.flush();
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    this.core.tick(this.clock.monotonicMs());
    this.flush();
  }

  /** Persist, then send, then publish: a vote must be on disk before anyone can count it. */
  private flush(): void {
    const ready = this.core.ready();
    if (ready.hardState) {
      try {
        // Term and vote only: the commit index is not kept until the log is (see above).
        this.votes.save({ term: ready.hardState.term, votedFor: ready.hardState.votedFor });
      } catch (err) {
        // The core already counts this vote as cast; sending it unsaved could mean two votes
        // in one term after a restart. Stop instead.
        this.stopped = true;
        this.fatal('cannot persist the election state', err);
        return;
      }
    }
    let preVotes = 0;
    for (const m of ready.messages) {
      if (m.type === 'PreVote') preVotes++;
      this.transport.send(m);
    }
    if (preVotes > 0) {
      this.logger.debug(
        `pre-vote round: asking ${preVotes} peers whether term ${this.core.status(0).term + 1} could win`,
      );
    }
    for (const change of ready.roleChanges) {
      const leader = change.leader ? `, leader ${change.leader}` : '';
      this.logger.log(
        `${describeRole(change.role)} in term ${change.term}${leader} (reason: ${change.reason})`,
      );
    }
    this.publish();
    this.arm();
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
      () => this.core.status(this.clock.monotonicMs()).leaseValid,
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

function publicRole(role: Role): PublicRole {
  return role === 'pre-candidate' ? 'candidate' : role;
}

function describeRole(role: Role): string {
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
