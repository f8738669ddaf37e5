import { kthLargest, majorityOf } from '../election/consensus';

/** Deltas whose drain time is remembered: an acknowledgement of an older one earns no credit. */
const REMEMBERED_DELTAS = 1024;

interface Waiter {
  /** The heartbeat's time: settled once a quorum holds every change made up to then. */
  at: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The leader's account of how far its followers hold its online list, so that a heartbeat can
 * be answered only once a majority of nodes would still know of it if this node died.
 *
 * Each delta drains every change made before it, so a follower that acknowledged the delta
 * drained at time D (or a full list taken at time D) holds every change made up to D. The
 * quorum holds everything up to the majority-th largest of those times, this node's own
 * (always everything) included.
 */
export class PresenceConfirmations {
  private readonly heldUpTo = new Map<string, number>();
  private readonly drained: { seq: number; at: number }[] = [];
  private readonly fullTaken = new Map<string, { seq: number; at: number }>();
  private waiters: Waiter[] = [];
  private quorumHeldUpTo = -Infinity;
  /** @param followers the other voters in force, asked again at each count (membership changes) */
  constructor(private readonly followers: () => readonly string[]) {}

  private get quorum(): number {
    return majorityOf(this.followers().length + 1);
  }

  /**
   * Every change made before this time is held by a majority of nodes. Strictly before: a change
   * made at the very time a delta was drained may have come just after it.
   */
  get heldByQuorumUpTo(): number {
    return this.quorumHeldUpTo;
  }

  /** Heartbeats still waiting for a quorum. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** A new term of leadership: no follower holds anything of it yet; old waiters fail. */
  restart(why: Error): void {
    this.heldUpTo.clear();
    this.fullTaken.clear();
    this.drained.length = 0;
    this.quorumHeldUpTo = this.quorum === 1 ? Infinity : -Infinity;
    this.failAll(why);
  }

  /** Delta `seq` carries every change made up to `at`. */
  deltaDrained(seq: number, at: number): void {
    this.drained[seq % REMEMBERED_DELTAS] = { seq, at };
  }

  /** A full list taken at `at` went to `follower` in place of delta `seq`. */
  fullSent(follower: string, seq: number, at: number): void {
    this.fullTaken.set(follower, { seq, at });
  }

  /** `follower` asked for the full list: it may have restarted, so it holds nothing for now. */
  copyLost(follower: string): void {
    this.heldUpTo.delete(follower);
    this.recount();
  }

  acknowledged(follower: string, seq: number, full: boolean): void {
    const slot = full ? this.fullTaken.get(follower) : this.drained[seq % REMEMBERED_DELTAS];
    if (!slot || slot.seq !== seq) return;
    if (slot.at <= (this.heldUpTo.get(follower) ?? -Infinity)) return;
    this.heldUpTo.set(follower, slot.at);
    this.recount();
  }

  /** Resolves once a majority holds every change made at `at`. */
  whenHeld(at: number): Promise<void> {
    if (at < this.quorumHeldUpTo) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ at, resolve, reject }));
  }

  /** Fails the heartbeats that waited since before `before`: their answer would come too late. */
  expire(before: number, why: Error): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.at < before) w.reject(why);
      else keep.push(w);
    }
    this.waiters = keep;
  }

  failAll(why: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(why);
  }

  private recount(): void {
    const times = [Infinity, ...this.followers().map((f) => this.heldUpTo.get(f) ?? -Infinity)];
    this.quorumHeldUpTo = kthLargest(times, this.quorum) ?? -Infinity;
    // Waiters arrive in time order: the held ones are a prefix.
    let settled = 0;
    while (settled < this.waiters.length && this.waiters[settled].at < this.quorumHeldUpTo)
      settled++;
    if (settled === 0) return;
    for (const w of this.waiters.splice(0, settled)) w.resolve();
  }
}
