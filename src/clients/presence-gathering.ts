import type { PresenceReport } from './presence-sync.messages';
import type { PresenceRecord } from './presence.service';

/**
 * A new leader collecting its followers' copies of the online list.
 *
 * Every heartbeat a leader answered was held by a majority of nodes first (or was a refresh of
 * a copy a majority held), so the copies of any majority together know every client: the list
 * is whole once copies from a majority are in, this node's own counting when it came whole from
 * a leader since it started, or once every follower has answered. Until then the leader waits
 * (`done`), at most `boundMs`, so a slow or silent follower holds up heartbeats for little; then
 * it serves from the copies in and keeps asking for those still out; /discover answers only
 * once some copy in is `vouched` for (see PresenceTakeover).
 */
export class PresenceGathering {
  /** Settles when the leader stops waiting: its list is whole, or the bound ran out. */
  readonly done: Promise<void>;
  /** The followers' whole copies, ages as their senders read them when they sent them. */
  readonly copies: PresenceRecord[][] = [];
  /**
   * The last time any of the copies in (this node's own included) had a leader's list: from
   * then on there was no leader to take heartbeats, as far as this majority knows.
   */
  latestSyncAt: number | null;
  /** Followers that answered they hold nothing the list this leader was handed lacks (a word). */
  inStepCopies = 0;
  /** Once the leader stopped waiting: how much younger every copy's ages are read. */
  forgiveMs: number | null = null;
  private settle: () => void = () => undefined;
  private readonly parts = new Map<string, PresenceRecord[][]>();
  private knownCopies: number;
  private readonly timer: NodeJS.Timeout;
  /**
   * When every client a missing copy could hold has timed out (monotonic ms): a heartbeat such
   * a copy holds was answered before this term, so it times out one client_timeout_ms after the
   * leader took office. From then on the copies still out no longer matter.
   */
  readonly wholeBy: number;

  constructor(
    readonly term: number,
    /** Followers whose copies are not in yet: all of them at first, each until it answers. */
    readonly awaited: Set<string>,
    /** Whether this node's own copy counts: it came whole from a leader since it started. */
    ownKnown: boolean,
    /** When this node last had a leader's list; null if never since it started. */
    ownSyncAt: number | null,
    private readonly quorum: number,
    boundMs: number,
    /** When the leader took office, and client_timeout_ms: together they make `wholeBy`. */
    tookOfficeAt: number,
    clientTimeoutMs: number,
    onTimeout: () => void,
  ) {
    this.knownCopies = ownKnown ? 1 : 0;
    this.latestSyncAt = ownSyncAt;
    this.wholeBy = tookOfficeAt + clientTimeoutMs;
    this.done = new Promise<void>((resolve) => (this.settle = resolve));
    this.timer = setTimeout(onTimeout, boundMs);
  }

  /** Whether the copies in know every client: a majority's, or every follower's. */
  get complete(): boolean {
    return this.knownCopies >= this.quorum || this.awaited.size === 0;
  }

  /**
   * Whether some copy in came whole from a leader: then the list serves /discover while the
   * copies still out are asked for. With none (every node in restarted since), it may lack
   * everyone a node out of reach knows of.
   */
  get vouched(): boolean {
    return this.knownCopies > 0 || this.complete;
  }

  /** Whether the copies still out no longer matter at `now`: see `wholeBy`. */
  outlived(now: number): boolean {
    return now >= this.wholeBy;
  }

  /** Whether the leader still waits before it serves anything. */
  get waiting(): boolean {
    return this.forgiveMs === null;
  }

  /**
   * Takes one chunk of a follower's report, received at `now`; returns the follower's whole
   * copy once its last chunk is in, else null. Chunks out of turn are dropped (one was lost: the
   * ask is repeated).
   */
  take(from: string, report: PresenceReport, now: number): PresenceRecord[] | null {
    if (!this.awaited.has(from)) return null;
    // A first chunk starts over: the follower answers every ask, and an ask may be repeated.
    const got = report.chunk === 0 ? [] : (this.parts.get(from) ?? []);
    if (report.chunk !== got.length) return null;
    got.push(report.records);
    this.parts.set(from, got);
    if (got.length < report.chunks) return null;
    this.parts.delete(from);
    this.awaited.delete(from);
    if (report.known) this.knownCopies++;
    if (report.inStep === true) this.inStepCopies++;
    if (report.syncAgeMs !== undefined) {
      this.latestSyncAt = Math.max(this.latestSyncAt ?? -Infinity, now - report.syncAgeMs);
    }
    return got.flat();
  }

  /** The leader serves from now on, reading every copy `forgiveMs` younger. */
  stopWaiting(forgiveMs: number): void {
    this.forgiveMs = forgiveMs;
    this.finish();
  }

  finish(): void {
    clearTimeout(this.timer);
    this.settle();
  }
}
