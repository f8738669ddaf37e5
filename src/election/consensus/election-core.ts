import {
  assertValidCoreOptions,
  type CoreOptions,
  type Entry,
  type Snapshot,
} from './core-options';
import type { RaftRole, Ready, RoleChange, Status } from './core-output';
import { LeasePromises, type RevokedHeartbeats } from './lease-promises';
import { isLessLoaded, lighterBeyond, loadRank, type NodeLoad } from './load-rank';
import {
  APPEND_ENTRIES,
  APPEND_ENTRIES_RESPONSE,
  type AppendEntries,
  type AppendEntriesResponse,
  type InstallSnapshot,
  type Message,
  type NodeId,
  type PreVote,
  type PreVoteResponse,
  type RequestVote,
  type RequestVoteResponse,
  type TimeoutNow,
} from './messages';
import { kthLargest, majorityOf } from './quorum';
import { RaftLog } from './raft-log';
import {
  commandOf,
  configOf,
  isMembershipCommand,
  type MemberRole,
  type MembershipChange,
  type MembershipConfig,
  roleIn,
} from './membership';
import { type ChangeRefusal, judgeChange } from './membership-guard';
import { Reason, type TransferReason } from './reasons';

/** Distributes Omit over the union so each outgoing message keeps its own fields. */
type Outgoing<M> = M extends Message ? Omit<M, 'from' | 'cpu' | 'background'> : never;

interface PreVoteRound {
  /** Answers by member, self included: true = granted. */
  answers: Map<NodeId, boolean>;
  /** Without a majority by then, the round failed. */
  deadline: number;
  /** With a majority, wait until then for the remaining answers: they may name a less loaded peer. */
  gatherUntil: number;
}

interface Candidacy {
  votes: Set<NodeId>;
  /** The latest moment an acknowledgement given by one of our voters may back an older lease. */
  leaseBlackoutUntil: number;
}

interface Transfer {
  target: NodeId;
  reason: TransferReason;
  /** Without a new leader by then, the transfer is abandoned and leadership resumes. */
  deadline: number;
}

interface Leadership {
  since: number;
  nextHeartbeatAt: number;
  nextLoadCheckAt: number;
  /** Check-quorum: last time each follower answered in this term (the start counts as one). */
  answeredAt: Map<NodeId, number>;
  /** Lease: the latest heartbeat send time each follower acknowledged. */
  ackedSentAt: Map<NodeId, number>;
  /** Replication (§5.3): the next index to send each follower. */
  nextIndex: Map<NodeId, number>;
  /** The highest index known to match each follower's log. */
  matchIndex: Map<NodeId, number>;
  /** Removed members still sent the log until they hold the entry that removed them. */
  departing: Map<NodeId, number>;
  /** Only heartbeats sent at or after this may back our lease (see RequestVoteResponse.leaseWaitMs). */
  leaseBlackoutUntil: number;
  /** Set when a transfer is abandoned: heartbeats sent before it were revoked for good. */
  leaseFloor: number;
  transfer: Transfer | null;
}

/**
 * Raft leader election (pre-vote, check-quorum, leader stickiness, leadership transfer) with a
 * leader lease and load-aware campaigning, and Raft log replication (§5.3-5.4, in the style of
 * etcd's raft: heartbeats are AppendEntries, a new leader appends a no-op, only entries of the
 * leader's term commit by counting, InstallSnapshot for followers behind a compaction), as a
 * deterministic state machine: time arrives as arguments, randomness through `random`, and
 * every effect leaves through ready() (see Ready for what the driver must do, in which order).
 */
export class ElectionCore {
  private readonly id: NodeId;
  /** config.toml's peers: the membership until the log or a snapshot says otherwise. */
  private readonly bootstrap: MembershipConfig;
  /** The membership in force: the latest configuration in the log, committed or not (§4.1). */
  private config: MembershipConfig;
  private selfRole: MemberRole = 'voter';
  /** Every other member (voters and learners), in address order: who gets the log. */
  private others: readonly NodeId[] = [];
  /** The other voters, in address order: who elects, commits and backs the lease. */
  private voterOthers: readonly NodeId[] = [];
  private voterCount = 0;
  private quorum = 1;
  private readonly heartbeatIntervalMs: number;
  private readonly electionTimeoutMinMs: number;
  private readonly electionTimeoutMaxMs: number;
  private readonly leaderTermMs: number;
  private readonly electionRetryMs: number;
  private readonly cpuHysteresisPct: number;
  private readonly leaseMs: number;
  private readonly random: () => number;
  private readonly log: RaftLog;
  private commit: number;
  /** Committed entries up to here have been handed out in a Ready. */
  private applied: number;
  /** The highest commit index a leader has told us of: how far we lag shows against it. */
  private leaderCommit = 0;
  /** A snapshot from the leader the driver has not been handed yet. */
  private pendingSnapshot: Snapshot | null = null;
  /** Leader: proposals are waiting to go out with the next ready() (group commit), sent at. */
  private pendingAppendAt: number | null = null;

  private term: number;
  private votedFor: NodeId | null;
  private role: RaftRole = 'follower';
  private leader: NodeId | null = null;
  private load: NodeLoad = { machine: 0, background: 0 };

  private readonly peerLoad = new Map<NodeId, NodeLoad>();
  private readonly lastContact = new Map<NodeId, number>();
  private readonly unreachableSince = new Map<NodeId, number>();

  /** When we last heard our leader: until electionTimeoutMin after it we refuse to vote. */
  private leaderContactAt: number | null = null;
  /** What our heartbeat acknowledgements still promise to the leaders that received them. */
  private readonly promises: LeasePromises;

  /** Follower: election timer. Pre-candidate between rounds: next round. Candidate: give up. */
  private timerAt: number;
  private campaignReason: string = Reason.electionTimeout;
  /** A pre-candidate steps aside for a less loaded peer at most once until a leader is heard. */
  private deferredForLoad = false;

  private preVote: PreVoteRound | null = null;
  private candidacy: Candidacy | null = null;
  private leadership: Leadership | null = null;

  private lastReadyHardState: { term: number; votedFor: NodeId | null; commit: number };
  private outbox: Message[] = [];
  private changes: RoleChange[] = [];

  constructor(opts: CoreOptions) {
    assertValidCoreOptions(opts);
    this.id = opts.id;
    this.bootstrap = {
      index: 0,
      voters: [...opts.peers].sort(),
      learners: [...(opts.learners ?? [])].sort(),
      apiUrls: {},
    };
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs;
    this.electionTimeoutMinMs = opts.electionTimeoutMinMs;
    this.electionTimeoutMaxMs = opts.electionTimeoutMaxMs;
    this.leaderTermMs = opts.leaderTermMs;
    this.electionRetryMs = opts.electionRetryMs;
    this.cpuHysteresisPct = opts.cpuHysteresisPct;
    this.leaseMs = opts.electionTimeoutMinMs - opts.leaseSafetyMarginMs;
    this.random = opts.random;
    this.log = new RaftLog(opts.initial.snapshot ?? null, opts.initial.entries ?? []);
    this.term = opts.initial.hardState.term;
    this.votedFor = opts.initial.hardState.votedFor;
    // The state machine is rebuilt from the snapshot: entries after it are applied again.
    this.applied = this.log.snapshot.index;
    this.commit = Math.min(
      Math.max(opts.initial.hardState.commit ?? 0, this.applied),
      this.log.lastIndex(),
    );
    this.lastReadyHardState = { term: this.term, votedFor: this.votedFor, commit: this.commit };
    this.config = this.latestConfig();
    this.deriveFromConfig();
    // Alone there is no other leader whose lease we could have backed, and nobody to wait for.
    const alone = this.voterOthers.length === 0 && this.selfRole === 'voter';
    // Acknowledgements given before a restart are forgotten: assume one was given just now.
    this.promises = new LeasePromises(alone ? -Infinity : opts.now + this.electionTimeoutMinMs);
    this.timerAt = alone ? opts.now : opts.now + this.electionTimeout();
    this.emit(Reason.startup);
  }

  /** This node's load as last sampled; only its `background` is ever compared (see NodeLoad). */
  setLoad(load: NodeLoad): void {
    this.load = { ...load };
  }

  tick(now: number): void {
    switch (this.role) {
      case 'follower':
        if (now >= this.timerAt) this.startPreVote(now, this.campaignReason);
        return;
      case 'pre-candidate':
        if (this.preVote === null) {
          if (now >= this.timerAt) this.startPreVote(now, this.campaignReason);
          return;
        }
        if (now >= this.preVote.gatherUntil) this.decidePreVote(now);
        if (this.preVote !== null && now >= this.preVote.deadline) this.failPreVote(now);
        return;
      case 'candidate':
        if (now >= this.timerAt) this.startPreVote(now, Reason.electionTimeout);
        return;
      case 'leader':
        this.tickLeader(now);
        return;
    }
  }

  step(msg: Message, now: number): void {
    // Messages count whatever our configuration says (§4.1): a follower behind on the log may not
    // yet know its leader or a new voter. Pre-vote and stickiness keep strangers harmless.
    if (msg.to !== this.id || msg.from === this.id) return;
    this.peerLoad.set(msg.from, { machine: msg.cpu, background: msg.background ?? msg.cpu });
    this.lastContact.set(msg.from, now);
    this.unreachableSince.delete(msg.from);
    if (msg.type === APPEND_ENTRIES || msg.type === 'InstallSnapshot') this.learnLoads(msg);

    // Pre-vote messages never move the receiver's term: that is what makes pre-vote harmless.
    if (msg.type === 'PreVote') return this.onPreVote(msg, now);
    if (msg.type === 'PreVoteResponse') return this.onPreVoteResponse(msg, now);

    if (msg.term < this.term) return this.answerStaleTerm(msg);
    if (msg.term > this.term) {
      if (msg.type === 'RequestVote' && !msg.transfer && this.isSticky(now)) return;
      const leader =
        msg.type === APPEND_ENTRIES || msg.type === 'InstallSnapshot' ? msg.from : null;
      const reason = this.leadership?.transfer
        ? Reason.transferTo(this.leadership.transfer.target, this.leadership.transfer.reason)
        : leader !== null && this.role === 'follower'
          ? Reason.heardLeader(leader)
          : Reason.higherTermFrom(msg.from);
      this.becomeFollower(now, msg.term, leader, reason);
    }

    switch (msg.type) {
      case 'RequestVote':
        return this.onRequestVote(msg, now);
      case 'RequestVoteResponse':
        return this.onRequestVoteResponse(msg, now);
      case APPEND_ENTRIES:
        return this.onAppendEntries(msg, now);
      case APPEND_ENTRIES_RESPONSE:
        return this.onAppendEntriesResponse(msg, now);
      case 'InstallSnapshot':
        return this.onInstallSnapshot(msg, now);
      case 'TimeoutNow':
        return this.onTimeoutNow(msg, now);
    }
  }

  /**
   * The driver lost its connection to `peer` and could not reconnect. With `exited`, the peer's
   * process is known to be gone (its port refused us): our acknowledgements to it then back no
   * lease, so the next leader need not wait them out.
   */
  peerUnreachable(peer: NodeId, now: number, exited = false): void {
    if (!this.isMember(peer) || peer === this.id) return;
    if (!this.unreachableSince.has(peer)) this.unreachableSince.set(peer, now);
    if (this.role !== 'follower' || this.leader !== peer) return;
    if (exited) this.promises.release(this.term);
    // Forgetting the leader also ends our stickiness, so we now grant others' pre-votes too.
    this.leader = null;
    this.leaderContactAt = null;
    this.timerAt = now + this.rankedRetryDelay();
    this.campaignReason = Reason.lostConnectionToLeader;
    this.emit(Reason.lostConnectionToLeader);
  }

  /**
   * Leader: hands over to the best up-to-date follower, or only to `to` when named (an
   * operator's choice); null when no such follower can take over now.
   */
  transferLeadership(now: number, reason: TransferReason, to?: NodeId): NodeId | null {
    const leadership = this.leadership;
    if (this.role !== 'leader' || leadership === null) return null;
    if (reason !== 'shutdown' && leadership.transfer !== null) return null;
    const target = this.bestTransferTarget(now, leadership, to);
    if (target === null) return null;
    if (reason === 'load' && !this.worthMovingTo(target)) return null;
    this.startTransfer(now, leadership, target, reason);
    return target;
  }

  /**
   * Proposes `data` as a new entry. Only a leader holding its lease accepts (null otherwise);
   * the entry goes out, with every other proposal made before the next ready(), in one
   * AppendEntries per follower. It is committed once it appears in a Ready's `committed`.
   */
  propose(data: unknown, now: number): { index: number; term: number } | null {
    const l = this.leadership;
    if (this.role !== 'leader' || l === null || !this.leaseValid(now)) return null;
    const entry: Entry = { index: this.log.lastIndex() + 1, term: this.term, data };
    this.log.append(entry);
    this.pendingAppendAt ??= now;
    this.maybeCommit();
    return { index: entry.index, term: entry.term };
  }

  /**
   * Leader: appends one single-server membership change (Raft dissertation §4.1), in force at
   * once, or says why not (see judgeChange for the rules). Committed like any entry.
   */
  changeMembership(
    change: MembershipChange,
    now: number,
  ): { index: number; term: number } | ChangeRefusal {
    const l = this.leadership;
    if (this.role !== 'leader' || l === null || !this.leaseValid(now)) {
      return { reason: 'not-leader', message: 'this node does not lead with a valid lease' };
    }
    const next = judgeChange(
      {
        config: this.config,
        leader: this.id,
        lastIndex: this.log.lastIndex(),
        commit: this.commit,
        committedOwnTerm: this.log.termAt(this.commit) === this.term,
        matchIndex: (n) => l.matchIndex.get(n) ?? 0,
        // Heard from, not merely given check-quorum's grace as a new member is.
        reachable: (n) =>
          n === this.id || now - (this.lastContact.get(n) ?? -Infinity) < this.electionTimeoutMinMs,
      },
      change,
    );
    if ('reason' in next) return next;
    const entry: Entry = {
      index: this.log.lastIndex() + 1,
      term: this.term,
      data: commandOf(next),
    };
    this.log.append(entry);
    this.setConfig({ ...next, index: entry.index }, now);
    this.pendingAppendAt ??= now;
    this.maybeCommit();
    return { index: entry.index, term: entry.term };
  }

  /** The membership in force alone: the same object until it changes (asked per heartbeat). */
  get configuration(): MembershipConfig {
    return this.config;
  }

  /**
   * The driver's state machine snapshot `data` covers every entry up to `index` (which must be
   * applied): entries up to there are dropped from memory, and followers that need them get the
   * snapshot instead. Returns false (and changes nothing) when `index` is not usable.
   */
  compact(index: number, data: unknown): Snapshot | null {
    if (index > this.applied) return null;
    return this.log.compact(index, data, this.configAt(index)) ? this.log.snapshot : null;
  }

  ready(): Ready {
    if (this.pendingAppendAt !== null) {
      const l = this.leadership;
      if (this.role === 'leader' && l !== null) {
        for (const to of this.targets(l)) this.sendAppend(to, this.pendingAppendAt, l, true);
      }
      this.pendingAppendAt = null;
    }
    const hs = { term: this.term, votedFor: this.votedFor, commit: this.commit };
    const last = this.lastReadyHardState;
    const changed =
      hs.term !== last.term || hs.votedFor !== last.votedFor || hs.commit !== last.commit;
    this.lastReadyHardState = hs;
    const unstable = this.log.takeUnstable();
    const committed =
      this.commit > this.applied ? this.log.slice(this.applied + 1, this.commit) : [];
    this.applied = this.commit;
    const ready: Ready = {
      hardState: changed ? { ...hs } : null,
      snapshot: this.pendingSnapshot,
      entries: unstable.entries,
      committed,
      messages: this.outbox,
      roleChanges: this.changes,
    };
    if (unstable.truncateFrom !== null) ready.truncateFrom = unstable.truncateFrom;
    this.pendingSnapshot = null;
    this.outbox = [];
    this.changes = [];
    return ready;
  }

  /** The one test for leader-only work at `now`, without building a whole status. */
  leaseValid(now: number): boolean {
    const l = this.leadership;
    if (l === null || l.transfer !== null) return false;
    const until = this.leaseUntil(now, l);
    return until !== null && now < until;
  }

  status(now: number): Status {
    const leadership = this.leadership;
    const leaseUntil = leadership === null ? null : this.leaseUntil(now, leadership);
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      votedFor: this.votedFor,
      leader: this.leader,
      leaseValid: this.leaseValid(now),
      leaseUntil,
      transferTarget: leadership?.transfer?.target ?? null,
      cpu: this.load.machine,
      background: this.load.background,
      peers: this.others.map((id) => ({
        id,
        cpu: this.peerLoad.get(id)?.machine ?? null,
        background: this.peerLoad.get(id)?.background ?? null,
        lastContact: this.lastContact.get(id) ?? null,
        unreachableSince: this.unreachableSince.get(id) ?? null,
        matchIndex: leadership?.matchIndex.get(id) ?? null,
      })),
      firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(),
      lastTerm: this.log.lastTerm(),
      commit: this.commit,
      applied: this.applied,
      leaderCommit: this.role === 'leader' ? this.commit : this.leaderCommit,
      membership: this.config,
      selfRole: this.selfRole,
      departing: leadership === null ? [] : [...leadership.departing.keys()],
    };
  }

  nextDeadline(): number {
    switch (this.role) {
      case 'follower':
      case 'candidate':
        return this.timerAt;
      case 'pre-candidate': {
        const round = this.preVote;
        if (round === null) return this.timerAt;
        const gathering = this.countAnswers(round).granted >= this.quorum;
        return gathering ? Math.min(round.deadline, round.gatherUntil) : round.deadline;
      }
      case 'leader': {
        const l = this.leadership;
        if (l === null) return Infinity;
        return Math.min(
          l.nextHeartbeatAt,
          l.nextLoadCheckAt,
          this.quorumDeadline(l),
          l.transfer?.deadline ?? Infinity,
        );
      }
    }
  }

  // ---- pre-vote -------------------------------------------------------------------------------

  private startPreVote(now: number, reason: string): void {
    // Only a voter campaigns: a learner waits to be promoted, a removed node for nothing.
    if (this.selfRole !== 'voter') {
      this.resetElectionTimer(now);
      return;
    }
    if (this.role !== 'pre-candidate') {
      this.role = 'pre-candidate';
      this.leader = null;
      this.leaderContactAt = null;
      this.emit(reason);
    }
    this.campaignReason = reason;
    this.candidacy = null;
    this.preVote = {
      answers: new Map([[this.id, true]]),
      deadline: now + this.electionTimeout(),
      gatherUntil: now + this.electionRetryMs,
    };
    for (const to of this.voterOthers) {
      this.send({
        type: 'PreVote',
        to,
        term: this.term + 1,
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
      });
    }
    this.decidePreVote(now);
  }

  private onPreVote(msg: PreVote, now: number): void {
    const granted = msg.term > this.term && this.logAtLeastAsRecent(msg) && !this.isSticky(now);
    this.send({
      type: 'PreVoteResponse',
      to: msg.from,
      term: granted ? msg.term : this.term,
      granted,
    });
    if (granted) this.expectDeferenceFrom(msg.from, now);
  }

  /**
   * A more loaded peer is campaigning and will step aside once it learns our load. If no peer
   * we know of is lighter than us, we are the one it will wait for: campaign soon.
   */
  private expectDeferenceFrom(peer: NodeId, now: number): void {
    const theirs = this.peerLoad.get(peer);
    if (this.role !== 'follower' || theirs === undefined) return;
    if (!lighterBeyond(this.load, theirs, this.cpuHysteresisPct)) return;
    for (const [other, load] of this.peerLoad) {
      if (isLessLoaded(other, load, this.id, this.load)) return;
    }
    this.timerAt = Math.min(this.timerAt, now + this.rankedRetryDelay());
  }

  private onPreVoteResponse(msg: PreVoteResponse, now: number): void {
    if (!msg.granted && msg.term > this.term) {
      this.becomeFollower(now, msg.term, null, Reason.higherTermFrom(msg.from));
      return;
    }
    const round = this.preVote;
    if (this.role !== 'pre-candidate' || round === null || !this.isVoter(msg.from)) return;
    if (msg.granted && msg.term === this.term + 1) round.answers.set(msg.from, true);
    else if (!msg.granted && msg.term === this.term) round.answers.set(msg.from, false);
    else return;
    this.decidePreVote(now);
  }

  private decidePreVote(now: number): void {
    const round = this.preVote;
    if (round === null) return;
    const { granted, refused } = this.countAnswers(round);
    if (this.voterCount - refused < this.quorum) return this.failPreVote(now);
    if (granted < this.quorum) return;
    if (round.answers.size < this.voterCount && now < round.gatherUntil) return;
    const better = this.lessLoadedGranter(round);
    if (better !== null && !this.deferredForLoad) {
      this.deferredForLoad = true;
      this.becomeFollower(now, this.term, null, Reason.deferringTo(better));
      return;
    }
    this.becomeCandidate(now, this.campaignReason, false, null);
  }

  private failPreVote(now: number): void {
    this.preVote = null;
    this.timerAt = now + this.electionRetryMs + this.random() * this.electionRetryMs;
  }

  /** The least loaded peer that granted us, if it is lighter than us by more than the hysteresis. */
  private lessLoadedGranter(round: PreVoteRound): NodeId | null {
    let best: { id: NodeId; load: NodeLoad } | null = null;
    for (const [peer, granted] of round.answers) {
      const load = this.peerLoad.get(peer);
      if (!granted || peer === this.id || load === undefined) continue;
      if (best === null || isLessLoaded(peer, load, best.id, best.load)) best = { id: peer, load };
    }
    return best !== null && lighterBeyond(best.load, this.load, this.cpuHysteresisPct)
      ? best.id
      : null;
  }

  private countAnswers(round: PreVoteRound): { granted: number; refused: number } {
    let granted = 0;
    for (const ok of round.answers.values()) if (ok) granted++;
    return { granted, refused: round.answers.size - granted };
  }

  // ---- election -------------------------------------------------------------------------------

  /** `revokedAt`: with a transfer, when the old leader revoked its lease (its clock). */
  private becomeCandidate(
    now: number,
    reason: string,
    transfer: boolean,
    revokedAt: number | null,
  ): void {
    const revoked = revokedAt === null ? null : { term: this.term, sentUpTo: revokedAt };
    this.term += 1;
    this.votedFor = this.id;
    this.role = 'candidate';
    this.leader = null;
    this.leaderContactAt = null;
    this.preVote = null;
    this.candidacy = {
      votes: new Set([this.id]),
      leaseBlackoutUntil: now + this.promises.remainingMs(now, revoked),
    };
    this.timerAt = now + this.electionTimeout();
    this.emit(reason);
    for (const to of this.voterOthers) {
      this.send({
        type: 'RequestVote',
        to,
        term: this.term,
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
        transfer,
        leaseRevokedAt: revokedAt,
      });
    }
    if (this.candidacy.votes.size >= this.quorum) this.becomeLeader(now);
  }

  private onRequestVote(msg: RequestVote, now: number): void {
    // Knowing a leader in this term means a majority already voted: another vote cannot help.
    const canVote = this.votedFor === msg.from || (this.votedFor === null && this.leader === null);
    const granted = canVote && this.logAtLeastAsRecent(msg);
    if (granted) {
      this.votedFor = msg.from;
      if (this.role === 'pre-candidate') {
        this.becomeFollower(now, this.term, null, Reason.votedFor(msg.from));
      } else {
        this.resetElectionTimer(now);
      }
    }
    // Checked as a number: a missing field must leave every promise in force.
    const revoked: RevokedHeartbeats | null =
      msg.transfer && typeof msg.leaseRevokedAt === 'number'
        ? { term: msg.term - 1, sentUpTo: msg.leaseRevokedAt }
        : null;
    this.send({
      type: 'RequestVoteResponse',
      to: msg.from,
      term: this.term,
      granted,
      leaseWaitMs: granted ? this.promises.remainingMs(now, revoked) : 0,
    });
  }

  private onRequestVoteResponse(msg: RequestVoteResponse, now: number): void {
    const candidacy = this.candidacy;
    if (this.role !== 'candidate' || candidacy === null || !msg.granted) return;
    if (candidacy.votes.has(msg.from) || !this.isVoter(msg.from)) return;
    candidacy.votes.add(msg.from);
    candidacy.leaseBlackoutUntil = Math.max(candidacy.leaseBlackoutUntil, now + msg.leaseWaitMs);
    if (candidacy.votes.size >= this.quorum) this.becomeLeader(now);
  }

  private onTimeoutNow(msg: TimeoutNow, now: number): void {
    if (this.role !== 'follower' || this.leader !== msg.from || this.selfRole !== 'voter') return;
    const revokedAt = typeof msg.leaseRevokedAt === 'number' ? msg.leaseRevokedAt : null;
    this.becomeCandidate(now, Reason.timeoutNowFrom(msg.from), true, revokedAt);
  }

  // ---- following ------------------------------------------------------------------------------

  private becomeFollower(now: number, term: number, leader: NodeId | null, reason: string): void {
    const changed = term !== this.term || this.role !== 'follower' || leader !== this.leader;
    if (term > this.term) {
      this.term = term;
      this.votedFor = null;
    }
    this.role = 'follower';
    this.leader = leader;
    this.leaderContactAt = leader === null ? null : now;
    this.preVote = null;
    this.candidacy = null;
    this.leadership = null;
    this.resetElectionTimer(now);
    if (changed) this.emit(reason);
  }

  private onAppendEntries(msg: AppendEntries, now: number): void {
    if (this.role === 'leader') return; // a second leader in one term cannot exist
    this.heardFromLeader(msg, now);
    this.leaderCommit = Math.max(this.leaderCommit, msg.leaderCommit);
    if (!this.log.matches(msg.prevLogIndex, msg.prevLogTerm) && msg.prevLogIndex >= this.commit) {
      // Missing or conflicting at prev: tell the leader where we may still match.
      // prev itself does not match, so the highest index that may is below it.
      const hint = this.log.conflictHint(msg.prevLogIndex - 1, msg.prevLogTerm);
      return this.answerAppendEntries(msg, false, Math.max(hint, this.commit));
    }
    // prev matched (or lies at or below our commit: committed entries always match the leader's).
    const fresh = msg.entries.filter((e) => e.index > this.commit);
    const conflict = this.log.merge(fresh);
    // A configuration is in force once appended, and gone again if its entry is truncated.
    if (conflict !== null || fresh.some((e) => isMembershipCommand(e.data))) {
      this.setConfig(this.latestConfig(), now);
    }
    const verified = msg.prevLogIndex + msg.entries.length;
    this.commitTo(Math.min(msg.leaderCommit, verified));
    this.answerAppendEntries(msg, true, Math.max(verified, this.commit));
  }

  private onInstallSnapshot(msg: InstallSnapshot, now: number): void {
    if (this.role === 'leader') return;
    this.heardFromLeader(msg, now);
    this.leaderCommit = Math.max(this.leaderCommit, msg.leaderCommit);
    const snap: Snapshot = { index: msg.snapshotIndex, term: msg.snapshotTerm, data: msg.data };
    if (msg.membership !== undefined) snap.membership = msg.membership;
    if (snap.index > this.commit) {
      if (this.log.matches(snap.index, snap.term)) {
        this.commitTo(snap.index);
      } else {
        this.log.restore(snap);
        this.commit = snap.index;
        this.applied = snap.index;
        this.pendingSnapshot = snap;
        this.setConfig(this.latestConfig(), now);
      }
    }
    this.answerAppendEntries(msg, true, Math.max(snap.index, this.commit));
  }

  /** What every AppendEntries or InstallSnapshot from our leader does before its own work. */
  private heardFromLeader(msg: AppendEntries | InstallSnapshot, now: number): void {
    if (this.role !== 'follower' || this.leader !== msg.from) {
      this.becomeFollower(now, this.term, msg.from, Reason.heardLeader(msg.from));
    } else {
      this.resetElectionTimer(now);
    }
    this.leaderContactAt = now;
    this.deferredForLoad = false;
    // Only an explicit false releases us: a heartbeat missing the flag still binds us.
    if (msg.countsForLease !== false) {
      // The acknowledgement below backs the leader's lease: from now on we owe it our silence.
      this.promises.record(this.term, msg.sentAt, now + this.electionTimeoutMinMs, now);
    }
  }

  private commitTo(index: number): void {
    const to = Math.min(index, this.log.lastIndex());
    if (to > this.commit) this.commit = to;
  }

  /** Echoes the heartbeat's send time (the leader's lease counts from it) with our term. */
  private answerAppendEntries(
    msg: AppendEntries | InstallSnapshot,
    success: boolean,
    matchIndex: number,
  ): void {
    this.send({
      type: APPEND_ENTRIES_RESPONSE,
      to: msg.from,
      term: this.term,
      sentAt: msg.sentAt,
      lastLogIndex: this.log.lastIndex(),
      success,
      matchIndex,
    });
  }

  private learnLoads(msg: AppendEntries | InstallSnapshot): void {
    for (const [peer, machine] of Object.entries(msg.loads)) {
      if (peer !== this.id && peer !== msg.from && this.isMember(peer)) {
        // A previous-version leader relays machine loads only: they stand for the background.
        const background = msg.backgrounds?.[peer] ?? machine;
        this.peerLoad.set(peer, { machine, background });
      }
    }
  }

  /** Tells a stale sender our term, so a deposed leader or candidate steps down. */
  private answerStaleTerm(msg: Message): void {
    if (msg.type === APPEND_ENTRIES || msg.type === 'InstallSnapshot') {
      this.answerAppendEntries(msg, false, 0);
    } else if (msg.type === 'RequestVote') {
      this.send({
        type: 'RequestVoteResponse',
        to: msg.from,
        term: this.term,
        granted: false,
        leaseWaitMs: 0,
      });
    }
  }

  // ---- leading --------------------------------------------------------------------------------

  private becomeLeader(now: number): void {
    const blackout = this.candidacy?.leaseBlackoutUntil ?? -Infinity;
    this.role = 'leader';
    this.leader = this.id;
    this.candidacy = null;
    this.deferredForLoad = false;
    this.leadership = {
      since: now,
      nextHeartbeatAt: now,
      nextLoadCheckAt: now + this.leaderTermMs,
      answeredAt: new Map(this.others.map((p) => [p, now])),
      ackedSentAt: new Map(),
      nextIndex: new Map(this.others.map((p) => [p, this.log.lastIndex() + 1])),
      matchIndex: new Map(this.others.map((p) => [p, 0])),
      departing: new Map(),
      leaseBlackoutUntil: blackout,
      leaseFloor: -Infinity,
      transfer: null,
    };
    this.emit(Reason.wonElection);
    // A no-op of our term, so entries of earlier terms commit with it (§5.4.2).
    this.log.append({ index: this.log.lastIndex() + 1, term: this.term, data: null });
    this.maybeCommit();
    this.broadcastAppendEntries(now, this.leadership);
  }

  private tickLeader(now: number): void {
    const l = this.leadership;
    if (l === null) return;
    if (now >= this.quorumDeadline(l)) {
      this.becomeFollower(now, this.term, null, Reason.lostQuorum);
      return;
    }
    if (l.transfer !== null && now >= l.transfer.deadline) {
      const target = l.transfer.target;
      l.transfer = null;
      // The target may still win with votes that ignored heartbeats sent before now.
      l.leaseFloor = now;
      this.emit(Reason.transferTimedOut(target));
      this.broadcastAppendEntries(now, l);
    }
    if (now >= l.nextHeartbeatAt) this.broadcastAppendEntries(now, l);
    if (now >= l.nextLoadCheckAt) {
      while (l.nextLoadCheckAt <= now) l.nextLoadCheckAt += this.leaderTermMs;
      const target = l.transfer === null ? this.bestTransferTarget(now, l) : null;
      if (target !== null && this.worthMovingTo(target)) {
        this.startTransfer(now, l, target, 'load');
      }
    }
  }

  private broadcastAppendEntries(now: number, l: Leadership): void {
    for (const to of this.targets(l)) this.sendAppend(to, now, l, false);
    // Whatever was proposed so far went out with these.
    this.pendingAppendAt = null;
    l.nextHeartbeatAt = now + this.heartbeatIntervalMs;
  }

  /**
   * One AppendEntries (or InstallSnapshot, when the follower needs compacted entries) from the
   * follower's nextIndex. Entries are sent optimistically: nextIndex moves past them at once and
   * falls back when the follower refuses. `onlyWithEntries`: skip followers with nothing new.
   */
  private sendAppend(to: NodeId, sentAt: number, l: Leadership, onlyWithEntries: boolean): void {
    const loads: Record<NodeId, number> = {};
    const backgrounds: Record<NodeId, number> = {};
    for (const [peer, load] of this.peerLoad) {
      loads[peer] = load.machine;
      backgrounds[peer] = load.background;
    }
    const countsForLease = l.transfer === null;
    const next = l.nextIndex.get(to)!;
    if (next < this.log.firstIndex()) {
      const snap = this.log.snapshot;
      this.send({
        type: 'InstallSnapshot',
        to,
        term: this.term,
        sentAt,
        loads,
        backgrounds,
        countsForLease,
        snapshotIndex: snap.index,
        snapshotTerm: snap.term,
        data: snap.data,
        ...(snap.membership === undefined ? {} : { membership: snap.membership }),
        leaderCommit: this.commit,
      });
      l.nextIndex.set(to, snap.index + 1);
      return;
    }
    const entries = this.log.batch(next);
    if (onlyWithEntries && entries.length === 0) return;
    const prevLogIndex = next - 1;
    this.send({
      type: APPEND_ENTRIES,
      to,
      term: this.term,
      sentAt,
      loads,
      backgrounds,
      countsForLease,
      prevLogIndex,
      prevLogTerm: this.log.termAt(prevLogIndex)!,
      entries,
      leaderCommit: this.commit,
    });
    l.nextIndex.set(to, next + entries.length);
  }

  private onAppendEntriesResponse(msg: AppendEntriesResponse, now: number): void {
    const l = this.leadership;
    if (this.role !== 'leader' || l === null || msg.sentAt < l.since) return;
    if (!l.nextIndex.has(msg.from)) return; // neither a member nor departing
    l.ackedSentAt.set(msg.from, Math.max(l.ackedSentAt.get(msg.from) ?? -Infinity, msg.sentAt));
    l.answeredAt.set(msg.from, now);
    const match = l.matchIndex.get(msg.from)!;
    const next = l.nextIndex.get(msg.from)!;
    if (msg.success) {
      const acked = Math.min(msg.matchIndex, this.log.lastIndex());
      if (acked > match) {
        l.matchIndex.set(msg.from, acked);
        this.maybeCommit();
      }
      if (this.letGo(l, msg.from, acked)) return;
      if (next <= acked) l.nextIndex.set(msg.from, acked + 1);
      // Still behind (more than one batch, or a lost message): keep the entries flowing.
      if (acked < this.log.lastIndex() && l.nextIndex.get(msg.from)! <= this.log.lastIndex()) {
        this.sendAppend(msg.from, now, l, true);
      }
    } else {
      // Refused at prev: back off to the follower's hint, never below what it already matched.
      const back = Math.max(match + 1, Math.min(next - 1, msg.matchIndex + 1));
      if (back < next) {
        l.nextIndex.set(msg.from, back);
        this.sendAppend(msg.from, now, l, false);
      }
    }
  }

  /** Commits the highest index a majority holds, if it is of our term (§5.4.2). */
  private maybeCommit(): void {
    const l = this.leadership;
    if (l === null) return;
    const matches = this.voterOthers.map((p) => l.matchIndex.get(p) ?? 0);
    if (this.selfRole === 'voter') matches.push(this.log.lastIndex());
    const candidate = kthLargest(matches, this.quorum);
    if (candidate === undefined) return;
    if (candidate > this.commit && this.log.termAt(candidate) === this.term) {
      this.commit = candidate;
    }
  }

  /** When we will have gone electionTimeoutMin without hearing from a majority. */
  private quorumDeadline(l: Leadership): number {
    const needed = this.quorum - 1; // we count ourselves
    if (needed === 0) return Infinity;
    const answered = this.voterOthers.map((p) => l.answeredAt.get(p) ?? l.since);
    return kthLargest(answered, needed)! + this.electionTimeoutMinMs;
  }

  /**
   * The lease runs from the send time of the newest heartbeat a majority acknowledged: each of
   * them refuses votes until at least electionTimeoutMin after receiving it, which is later.
   */
  private leaseUntil(now: number, l: Leadership): number | null {
    const earliest = Math.max(l.leaseBlackoutUntil, l.leaseFloor);
    const sendTimes: number[] = now >= earliest ? [now] : [];
    for (const voter of this.voterOthers) {
      const sentAt = l.ackedSentAt.get(voter);
      if (sentAt !== undefined && sentAt >= earliest) sendTimes.push(sentAt);
    }
    const backed = kthLargest(sendTimes, this.quorum);
    return backed === undefined ? null : backed + this.leaseMs;
  }

  /** The least loaded follower that is up to date and was heard from recently. */
  private bestTransferTarget(now: number, l: Leadership, only?: NodeId): NodeId | null {
    let best: { id: NodeId; load: NodeLoad } | null = null;
    // Only a voter can take over: a learner could not win an election.
    for (const peer of this.voterOthers) {
      if (only !== undefined && peer !== only) continue;
      const load = this.peerLoad.get(peer);
      const heard = this.lastContact.get(peer);
      if (load === undefined || heard === undefined) continue;
      if (now - heard >= this.electionTimeoutMinMs) continue;
      if (l.matchIndex.get(peer) !== this.log.lastIndex()) continue;
      if (best === null || isLessLoaded(peer, load, best.id, best.load)) best = { id: peer, load };
    }
    return best?.id ?? null;
  }

  private worthMovingTo(target: NodeId): boolean {
    const load = this.peerLoad.get(target);
    return load !== undefined && lighterBeyond(load, this.load, this.cpuHysteresisPct);
  }

  private startTransfer(now: number, l: Leadership, target: NodeId, reason: TransferReason): void {
    // From now on our lease is revoked; heartbeats go on (keeping followers from starting an
    // election of their own) but say they back no lease, so the target need not wait for them.
    l.transfer = { target, reason, deadline: now + this.electionTimeoutMinMs };
    this.emit(Reason.transferTo(target, reason));
    this.send({ type: 'TimeoutNow', to: target, term: this.term, leaseRevokedAt: now });
  }

  // ---- membership -----------------------------------------------------------------------------

  /** Who gets AppendEntries: every other member, and removed ones until they know it. */
  private targets(l: Leadership): NodeId[] {
    return l.departing.size === 0 ? [...this.others] : [...this.others, ...l.departing.keys()];
  }

  /** A departing member that holds the entry removing it is sent nothing more. */
  private letGo(l: Leadership, peer: NodeId, acked: number): boolean {
    const removedAt = l.departing.get(peer);
    if (removedAt === undefined || acked < removedAt) return false;
    l.departing.delete(peer);
    for (const m of [l.nextIndex, l.matchIndex, l.answeredAt, l.ackedSentAt]) m.delete(peer);
    return true;
  }

  private isMember(peer: NodeId): boolean {
    return roleIn(this.config, peer) !== 'removed';
  }

  private isVoter(peer: NodeId): boolean {
    return this.config.voters.includes(peer);
  }

  /** The latest configuration in the log, else the snapshot's, else config.toml's peers. */
  private latestConfig(): MembershipConfig {
    return this.configAt(this.log.lastIndex());
  }

  private configAt(index: number): MembershipConfig {
    for (let i = Math.min(index, this.log.lastIndex()); i >= this.log.firstIndex(); i--) {
      const data = this.log.slice(i, i)[0].data;
      if (isMembershipCommand(data)) return configOf(i, data);
    }
    return this.log.snapshot.membership ?? this.bootstrap;
  }

  private setConfig(config: MembershipConfig, now: number): void {
    const before = this.config;
    const wasRole = this.selfRole;
    this.config = config;
    this.deriveFromConfig();
    const l = this.leadership;
    if (l !== null) {
      for (const peer of this.others) {
        l.departing.delete(peer);
        if (l.nextIndex.has(peer)) continue;
        l.nextIndex.set(peer, this.log.lastIndex() + 1);
        l.matchIndex.set(peer, 0);
        l.answeredAt.set(peer, now);
      }
      for (const peer of [...before.voters, ...before.learners]) {
        if (peer !== this.id && !this.isMember(peer)) l.departing.set(peer, config.index);
      }
    }
    if (this.selfRole === wasRole) return;
    if (this.selfRole !== 'voter' && (this.role === 'pre-candidate' || this.role === 'candidate')) {
      this.becomeFollower(now, this.term, null, Reason.membership(this.selfRole, config.index));
    } else {
      this.emit(Reason.membership(this.selfRole, config.index));
    }
  }

  private deriveFromConfig(): void {
    const c = this.config;
    this.selfRole = roleIn(c, this.id);
    this.others = [...c.voters, ...c.learners].filter((p) => p !== this.id).sort();
    this.voterOthers = c.voters.filter((p) => p !== this.id).sort();
    this.voterCount = c.voters.length;
    this.quorum = majorityOf(c.voters.length);
  }

  // ---- shared ---------------------------------------------------------------------------------

  /** Leader stickiness: while our leader is alive nobody else needs our vote. */
  private isSticky(now: number): boolean {
    if (this.role === 'leader') return true;
    return (
      this.leader !== null &&
      this.leaderContactAt !== null &&
      now - this.leaderContactAt < this.electionTimeoutMinMs
    );
  }

  private logAtLeastAsRecent(msg: PreVote | RequestVote): boolean {
    const lastTerm = this.log.lastTerm();
    return (
      msg.lastLogTerm > lastTerm ||
      (msg.lastLogTerm === lastTerm && msg.lastLogIndex >= this.log.lastIndex())
    );
  }

  private resetElectionTimer(now: number): void {
    this.timerAt = now + this.electionTimeout();
    this.campaignReason = Reason.electionTimeout;
  }

  /** The least loaded member times out first; equal loads still get random spacing. */
  private electionTimeout(): number {
    const slot = (this.electionTimeoutMaxMs - this.electionTimeoutMinMs) / this.voterCount;
    const rank = loadRank(this.id, this.load, this.voterOthers, this.peerLoad);
    return this.electionTimeoutMinMs + rank * slot + this.random() * slot;
  }

  private rankedRetryDelay(): number {
    const rank = loadRank(this.id, this.load, this.voterOthers, this.peerLoad);
    return (rank + this.random()) * this.electionRetryMs;
  }

  private send(msg: Outgoing<Message>): void {
    const { machine, background } = this.load;
    this.outbox.push({ ...msg, from: this.id, cpu: machine, background });
  }

  private emit(reason: string): void {
    this.changes.push({ role: this.role, term: this.term, leader: this.leader, reason });
  }
}
