import type { HardState, Message, NodeId, Ready } from '../../../../src/election/consensus';

export interface LeaseSpan {
  node: NodeId;
  from: number;
  until: number;
}

export interface LeaderRecord {
  term: number;
  leader: NodeId;
  at: number;
}

/**
 * Watches everything that leaves the nodes and records each broken promise: two leaders in a
 * term, two valid leases at one instant, a second vote in a term, a vote sent before persisted.
 */
export class SafetyRecorder {
  readonly violations: string[] = [];
  readonly leaderHistory: LeaderRecord[] = [];
  /** Closed spans during which a node held a valid lease: [from, until). */
  private readonly closedSpans: LeaseSpan[] = [];
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly voteOf = new Map<string, NodeId>();
  /** The lease each node currently claims: valid at t iff t < until. */
  private readonly claims = new Map<NodeId, { from: number; until: number }>();

  /** applyKey of the first entry applied at each index, by any node: none may differ. */
  readonly appliedAt = new Map<number, string>();

  checkApply(node: NodeId, index: number, key: string, now: number): void {
    const first = this.appliedAt.get(index);
    if (first === undefined) this.appliedAt.set(index, key);
    else if (first !== key) {
      this.fail(now, `${node} applied ${key} at ${index}, another node applied ${first}`);
    }
  }

  /** A state machine loaded from a snapshot must agree with every entry applied elsewhere. */
  checkSnapshot(node: NodeId, applied: readonly string[], now: number): void {
    applied.forEach((key, i) => this.checkApply(node, i + 1, key, now));
  }

  /** Checks a Ready against what is on disk before it, as the driver persists then sends. */
  checkReady(node: NodeId, disk: HardState, ready: Ready, now: number): void {
    const durable = ready.hardState ?? disk;
    if (ready.hardState !== null) {
      const hs = ready.hardState;
      if (hs.term < disk.term) this.fail(now, `${node} term went back ${disk.term} -> ${hs.term}`);
      if (hs.term === disk.term && disk.votedFor !== null && hs.votedFor !== disk.votedFor) {
        this.fail(now, `${node} changed its vote in term ${hs.term}`);
      }
    }
    for (const msg of ready.messages) this.checkOutgoing(node, durable, msg, now);
    for (const change of ready.roleChanges) {
      if (change.role !== 'leader' || change.leader !== node) continue;
      const previous = this.leaderOfTerm.get(change.term);
      if (previous === undefined) {
        this.leaderOfTerm.set(change.term, node);
        this.leaderHistory.push({ term: change.term, leader: node, at: now });
      } else if (previous !== node) {
        this.fail(now, `two leaders in term ${change.term}: ${previous} and ${node}`);
      }
    }
  }

  private checkOutgoing(node: NodeId, durable: HardState, msg: Message, now: number): void {
    let candidate: NodeId | null = null;
    if (msg.type === 'RequestVote') candidate = node;
    if (msg.type === 'RequestVoteResponse' && msg.granted) candidate = msg.to;
    if (candidate === null) return;
    if (durable.term !== msg.term || durable.votedFor !== candidate) {
      this.fail(
        now,
        `${node} sent ${msg.type} for ${candidate} in term ${msg.term} before persisting it ` +
          `(durable: term ${durable.term}, votedFor ${durable.votedFor})`,
      );
    }
    const key = `${node}@${msg.term}`;
    const earlier = this.voteOf.get(key);
    if (earlier === undefined) this.voteOf.set(key, candidate);
    else if (earlier !== candidate) {
      this.fail(now, `${node} voted twice in term ${msg.term}: ${earlier} and ${candidate}`);
    }
  }

  /**
   * Called with a node's status just before it handles an event. A lease can only start or
   * grow inside an event, so between events it must be exactly what the last claim said.
   */
  checkLeaseBetweenEvents(node: NodeId, leaseValid: boolean, now: number): void {
    const claim = this.claims.get(node);
    const expected = claim !== undefined && now < claim.until;
    if (leaseValid !== expected) {
      this.fail(now, `${node} lease changed between events (valid=${leaseValid})`);
    }
  }

  /** Called with a node's status right after an event (or with null once it crashed). */
  updateLease(node: NodeId, lease: { valid: boolean; until: number | null } | null, now: number) {
    const old = this.claims.get(node);
    if (old !== undefined) {
      this.claims.delete(node);
      const end = Math.min(old.until, now);
      if (end > old.from) this.closedSpans.push({ node, from: old.from, until: end });
    }
    if (lease === null || !lease.valid || lease.until === null) return;
    for (const [other, claim] of this.claims) {
      if (claim.until > now) {
        this.fail(now, `${node} and ${other} both hold a valid lease (other until ${claim.until})`);
      }
    }
    this.claims.set(node, { from: now, until: lease.until });
  }

  /** Every span of a valid lease so far, the ones still open cut at `now`. */
  leaseSpans(now: number): LeaseSpan[] {
    const open = [...this.claims].map(([node, c]) => ({
      node,
      from: c.from,
      until: Math.min(c.until, now),
    }));
    return [...this.closedSpans, ...open.filter((s) => s.until > s.from)];
  }

  private fail(now: number, what: string): void {
    if (this.violations.length < 20) this.violations.push(`t=${now.toFixed(3)}: ${what}`);
  }
}
