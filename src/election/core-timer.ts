import type { SchedulerRegistry } from '@nestjs/schedule';
import type { Clock } from '../common/clock';

/** Longest the timer sleeps, so a clock oddity can never park the election. */
const MAX_SLEEP_MS = 1000;
/** The SchedulerRegistry name of the timer that wakes the core at its next deadline. */
export const CORE_TICK_TIMEOUT = 'election-core-tick';

/**
 * Wakes the consensus core at its next deadline. The driver re-arms it after every pass over the
 * core's output, so at most one such timeout is ever registered.
 */
export class CoreTimer {
  constructor(
    private readonly scheduler: SchedulerRegistry,
    private readonly clock: Clock,
    private readonly fire: () => void,
  ) {}

  /**
   * Replaces any pending wake-up with one at `deadline` (monotonic ms) or about a millisecond
   * after it, or in a second if that is sooner.
   */
  armFor(deadline: number): void {
    // Whole milliseconds, rounded up: the event loop's timers count whole milliseconds, and a
    // fractional wait mostly fired a fraction early, found nothing due, and woke it again. It can
    // still fire a fraction early when the loop's clock (read at the start of its turn) is
    // behind: measured on a leader, about once a second against 12 times before.
    const wait = Math.min(
      MAX_SLEEP_MS,
      Math.max(0, Math.ceil(deadline - this.clock.monotonicMs())),
    );
    this.cancel();
    this.scheduler.addTimeout(
      CORE_TICK_TIMEOUT,
      setTimeout(() => {
        this.cancel();
        this.fire();
      }, wait),
    );
  }

  cancel(): void {
    if (this.scheduler.doesExist('timeout', CORE_TICK_TIMEOUT)) {
      this.scheduler.deleteTimeout(CORE_TICK_TIMEOUT);
    }
  }
}
