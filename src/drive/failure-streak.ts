import type { Clock } from '../common/clock';

const REPORT_EVERY_MS = 60_000;

/**
 * A run of failures in a row, and when to speak of it: at its first failure, at most once a
 * minute while it lasts, and when it ends, never once per retry.
 */
export class FailureStreak {
  /** Failures in a row, the current one included; 0 when things work. */
  count = 0;
  private since: number | null = null;
  private reportedAt = 0;

  constructor(private readonly clock: Clock) {}

  /**
   * Records a failure; says what to report: `first`, `again` (with how long it has lasted), or
   * nothing yet.
   */
  failed(): { say: 'first' } | { say: 'again'; forMs: number } | null {
    const now = this.clock.monotonicMs();
    this.count++;
    if (this.since === null) {
      this.since = this.reportedAt = now;
      return { say: 'first' };
    }
    if (now - this.reportedAt < REPORT_EVERY_MS) return null;
    this.reportedAt = now;
    return { say: 'again', forMs: now - this.since };
  }

  /** Ends the streak; returns how long it lasted, or null if there was none. */
  ended(): number | null {
    const lasted = this.since === null ? null : this.clock.monotonicMs() - this.since;
    this.count = 0;
    this.since = null;
    return lasted;
  }
}
