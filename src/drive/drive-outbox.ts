import type { Clock } from '../common/clock';
import type { RegisteredUser } from '../storage/registered-user';
import type { LeftAlone, PutOutcome, UserStore } from '../storage/user-store';
import { describeDriveFailure, type DriveFailure } from './drive-failure';
import type { DriveHealth } from './drive-health';
import { FailureStreak } from './failure-streak';
import type { RetryPolicy } from './retry-policy';

export interface OutboxReporter {
  /** The first failure after a success: said at once. */
  failing(failure: DriveFailure, pending: number): void;
  /** Still failing: said at most once per report interval, never once per retry. */
  stillFailing(failure: DriveFailure, pending: number, sinceMs: number): void;
  recovered(pending: number, afterMs: number): void;
  /** A readable file of another user under the name was overwritten with the log's user. */
  replaced(user: RegisteredUser): void;
  /** An unreadable file holds the name: not written, and not tried again (it would not change). */
  leftAlone(user: RegisteredUser, outcome: LeftAlone): void;
}

/** Writes at once; Drive copes, and a backlog after an outage drains in reasonable time. */
const DEFAULT_CONCURRENCY = 4;

/**
 * The leader's queue of users to copy to Drive. Nothing in it is lost by failing: a write is
 * removed only once Drive has it, and after a crash the next leader rebuilds the queue by
 * comparing the folder with the log. A failure pauses every worker for the backoff, since a
 * rate limit or an outage concerns them all; the failed user goes to the back of the queue so
 * that one bad entry cannot hold up the rest.
 */
export class DriveOutbox {
  private readonly queue = new Map<string, RegisteredUser>();
  private readonly inFlight = new Set<string>();
  private running = false;
  private readonly streak: FailureStreak;
  /** Counts pauses: a write that began before the latest one failed in the same event. */
  private pauses = 0;
  /** Set while every worker waits out a backoff. */
  private wake: NodeJS.Timeout | null = null;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly store: UserStore,
    private readonly policy: RetryPolicy,
    private readonly clock: Clock,
    private readonly reporter: OutboxReporter,
    private readonly health: DriveHealth,
    private readonly concurrency = DEFAULT_CONCURRENCY,
  ) {
    this.streak = new FailureStreak(clock);
  }

  get pending(): number {
    return this.queue.size;
  }

  add(user: RegisteredUser): void {
    this.queue.set(user.username, user);
    this.pump();
  }

  start(): void {
    this.running = true;
    this.pump();
  }

  /** Stops taking work; writes in flight finish on their own. The queue is dropped with it. */
  stop(): void {
    this.running = false;
    this.queue.clear();
    if (this.wake) clearTimeout(this.wake);
    this.wake = null;
    this.streak.ended();
  }

  /** Resolves once nothing is queued or in flight (for an orderly shutdown and for tests). */
  drained(): Promise<void> {
    if (this.queue.size === 0 && this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    if (!this.running || this.wake) return;
    for (const [username, user] of this.queue) {
      if (this.inFlight.size >= this.concurrency) break;
      if (this.inFlight.has(username)) continue;
      this.inFlight.add(username);
      void this.write(user);
    }
  }

  private async write(user: RegisteredUser): Promise<void> {
    const startedIn = this.pauses;
    try {
      const outcome = await this.store.put(user);
      // Only the version that was written leaves the queue; a newer add stays.
      if (this.queue.get(user.username) === user) this.queue.delete(user.username);
      this.succeeded();
      this.report(user, outcome);
    } catch (err) {
      if (this.queue.get(user.username) === user) {
        this.queue.delete(user.username);
        this.queue.set(user.username, user);
      }
      this.failed(describeDriveFailure(err), startedIn);
    } finally {
      this.inFlight.delete(user.username);
      if (this.queue.size === 0 && this.inFlight.size === 0) {
        for (const resolve of this.idle.splice(0)) resolve();
      }
      this.pump();
    }
  }

  private report(user: RegisteredUser, outcome: PutOutcome): void {
    if (outcome === 'replaced') this.reporter.replaced(user);
    else if (typeof outcome === 'object') this.reporter.leftAlone(user, outcome);
  }

  private succeeded(): void {
    this.health.succeeded(this.clock.wallMs());
    const lasted = this.streak.ended();
    if (lasted !== null) this.reporter.recovered(this.queue.size, lasted);
  }

  private failed(failure: DriveFailure, startedIn: number): void {
    if (!this.running) return;
    this.health.failed(failure.message);
    // Writes in flight together fail together; one outage is one step of backoff, not four.
    if (startedIn !== this.pauses) return;
    this.pauses++;
    const report = this.streak.failed();
    if (report?.say === 'first') this.reporter.failing(failure, this.queue.size);
    else if (report) this.reporter.stillFailing(failure, this.queue.size, report.forMs);
    const delay = this.policy.delayMs(this.streak.count, failure, this.clock.wallMs());
    if (this.wake) clearTimeout(this.wake);
    this.wake = setTimeout(() => {
      this.wake = null;
      this.pump();
    }, delay);
  }
}
