import type { Entry, Snapshot } from './core-options';
import type { MembershipConfig } from './membership';

/** The most entries, and about the most bytes of data, one AppendEntries carries. */
export const MAX_BATCH_ENTRIES = 512;
export const MAX_BATCH_BYTES = 256 * 1024;

/**
 * The replicated log in memory: a snapshot covering every index up to `snapshot.index`, then
 * the entries after it. Tracks which entries the driver has not been handed yet (`unstableFrom`)
 * and whether it must first drop a suffix it already holds (`truncateFrom`).
 */
export class RaftLog {
  snapshot: Snapshot;
  private entries: Entry[];
  /** First index not yet handed to the driver in a Ready. */
  private unstableFrom: number;
  /** The driver must drop every persisted entry at or after this before appending. */
  private truncateFrom: number | null = null;

  constructor(snapshot: Snapshot | null, entries: readonly Entry[]) {
    this.snapshot = snapshot ?? { index: 0, term: 0, data: null };
    const first = this.snapshot.index + 1;
    const kept = entries.filter((e) => e.index >= first);
    kept.forEach((e, i) => {
      if (e.index !== first + i) throw new Error(`log has a gap before index ${e.index}`);
    });
    this.entries = kept.map((e) => ({ ...e }));
    this.unstableFrom = this.lastIndex() + 1;
  }

  firstIndex(): number {
    return this.snapshot.index + 1;
  }

  lastIndex(): number {
    return this.snapshot.index + this.entries.length;
  }

  lastTerm(): number {
    return this.entries.length === 0 ? this.snapshot.term : this.entries.at(-1)!.term;
  }

  /** The term of `index`, or undefined when it is compacted away (before the snapshot) or absent. */
  termAt(index: number): number | undefined {
    if (index === this.snapshot.index) return this.snapshot.term;
    if (index < this.snapshot.index || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshot.index - 1].term;
  }

  matches(index: number, term: number): boolean {
    return this.termAt(index) === term;
  }

  /** Entries in [from, to], from >= firstIndex(). */
  slice(from: number, to: number): Entry[] {
    const base = this.snapshot.index + 1;
    return this.entries.slice(from - base, to - base + 1);
  }

  /** Up to one batch starting at `from`, capped by count and approximate size. */
  batch(from: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = from; i <= this.lastIndex() && out.length < MAX_BATCH_ENTRIES; i++) {
      const e = this.entries[i - this.snapshot.index - 1];
      bytes += approximateBytes(e.data);
      if (out.length > 0 && bytes > MAX_BATCH_BYTES) break;
      out.push(e);
    }
    return out;
  }

  append(entry: Entry): void {
    this.entries.push(entry);
  }

  /**
   * Follower side of AppendEntries, after prev matched: skips entries it already has, drops the
   * first conflicting suffix (never a committed one: the caller checks), appends the rest.
   * Returns the first conflicting index, or null.
   */
  merge(incoming: readonly Entry[]): number | null {
    let conflict: number | null = null;
    let i = 0;
    for (; i < incoming.length; i++) {
      const e = incoming[i];
      if (e.index < this.firstIndex()) continue; // covered by our snapshot, so committed
      const mine = this.termAt(e.index);
      if (mine === undefined) break;
      if (mine !== e.term) {
        conflict = e.index;
        this.truncate(e.index);
        break;
      }
    }
    for (; i < incoming.length; i++) {
      if (incoming[i].index > this.lastIndex()) this.entries.push({ ...incoming[i] });
    }
    return conflict;
  }

  private truncate(from: number): void {
    this.entries.length = from - this.snapshot.index - 1;
    if (from < this.unstableFrom) {
      this.unstableFrom = from;
      this.truncateFrom = Math.min(this.truncateFrom ?? from, from);
    }
  }

  /** Drops entries up to `index` (which must be in the log), keeping `data` as their snapshot. */
  compact(index: number, data: unknown, membership: MembershipConfig): boolean {
    const term = this.termAt(index);
    if (term === undefined || index <= this.snapshot.index) return false;
    this.entries = this.entries.slice(index - this.snapshot.index);
    this.snapshot = { index, term, data, membership };
    return true;
  }

  /** Replaces the whole log with a snapshot from the leader. */
  restore(snapshot: Snapshot): void {
    this.snapshot = { ...snapshot };
    this.entries = [];
    this.unstableFrom = snapshot.index + 1;
    this.truncateFrom = snapshot.index + 1;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, so a leader that sent prev (index, term)
   * can skip a whole term of our entries at once (etcd's findConflictByTerm).
   */
  conflictHint(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i > this.snapshot.index) {
      const t = this.termAt(i)!;
      if (t <= term) break;
      i--;
    }
    return i;
  }

  /** Entries not yet handed to the driver, and the suffix it must drop first; marks them handed. */
  takeUnstable(): { entries: Entry[]; truncateFrom: number | null } {
    const entries =
      this.unstableFrom <= this.lastIndex() ? this.slice(this.unstableFrom, this.lastIndex()) : [];
    const truncateFrom = this.truncateFrom;
    this.unstableFrom = this.lastIndex() + 1;
    this.truncateFrom = null;
    return { entries, truncateFrom };
  }
}

function approximateBytes(data: unknown): number {
  if (data === null || data === undefined) return 8;
  if (typeof data === 'string') return data.length + 8;
  try {
    return (JSON.stringify(data)?.length ?? 0) + 8;
  } catch {
    return 64;
  }
}
