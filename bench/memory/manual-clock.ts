import type { Clock } from '../../src/common/clock';

/** A clock the bench moves by hand, so that expiry passes can be timed without waiting. */
export class ManualClock implements Clock {
  constructor(
    public mono = 1_000,
    private readonly wallAtZero = Date.UTC(2026, 0, 1),
  ) {}
  monotonicMs(): number {
    return this.mono;
  }
  wallMs(): number {
    return this.wallAtZero + this.mono;
  }
}
