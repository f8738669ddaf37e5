import type { PresenceReport } from './presence-sync.messages';
import type { PresenceRecord } from './presence.service';

/**
 * A new leader collecting its followers' copies of the online list before it serves /discover.
 *
 * Every heartbeat a leader answered was held by a majority of nodes first (or was a refresh of
 * a copy a majority held), so the copies of any majority together know every client: the
 * gathering is complete once copies from a majority are in, this node's own counting when it
 * had synced with a leader since it started. It also ends when every follower asked has
 * answered, or after `boundMs`, so a slow, leaving or silent follower delays nothing for long.
 */
export class PresenceGathering {
  readonly done: Promise<void>;
  /** The followers' whole copies, ages as their senders read them when they sent them. */
  readonly copies: PresenceRecord[][] = [];
  /**
   * The last time any of the copies in (this node's own included) had a leader's list: from
   * then on there was no leader to take heartbeats, as far as this majority knows.
   */
  latestSyncAt: number | null;
  private settle: () => void = () => undefined;
  private readonly parts = new Map<string, PresenceRecord[][]>();
  private knownCopies: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly term: number,
    /** Followers asked, until each answers in full. */
    readonly awaited: Set<string>,
    /** When this node last had a leader's list; null if never since it started. */
    ownSyncAt: number | null,
    private readonly quorum: number,
    boundMs: number,
    onTimeout: () => void,
  ) {
    this.knownCopies = ownSyncAt === null ? 0 : 1;
    this.latestSyncAt = ownSyncAt;
    this.done = new Promise<void>((resolve) => (this.settle = resolve));
    this.timer = setTimeout(onTimeout, boundMs);
  }

  /** Enough copies are in: a majority's, or everyone's that was asked. */
  get complete(): boolean {
    return this.knownCopies >= this.quorum || this.awaited.size === 0;
  }

  /**
   * Takes one chunk of a follower's report, received at `now`; returns true once its last chunk
   * is in. Chunks out of turn are dropped (one was lost: the ask is repeated).
   */
  take(from: string, report: PresenceReport, now: number): boolean {
    if (!this.awaited.has(from)) return false;
    // A first chunk starts over: the follower answers every ask, and an ask may be repeated.
    const got = report.chunk === 0 ? [] : (this.parts.get(from) ?? []);
    if (report.chunk !== got.length) return false;
    got.push(report.records);
    this.parts.set(from, got);
    if (got.length < report.chunks) return false;
    this.parts.delete(from);
    this.awaited.delete(from);
    this.copies.push(got.flat());
    if (report.known) this.knownCopies++;
    if (report.syncAgeMs !== undefined) {
      this.latestSyncAt = Math.max(this.latestSyncAt ?? -Infinity, now - report.syncAgeMs);
    }
    return true;
  }

  finish(): void {
    clearTimeout(this.timer);
    this.settle();
  }
}
