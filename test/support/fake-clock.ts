import type { Clock } from '../../src/common/clock';

/** A clock that moves only when told to. */
export class FakeClock implements Clock {
  constructor(
    private mono = 1_000,
    private wall = Date.UTC(2026, 0, 1),
  ) {}
  monotonicMs(): number {
    return this.mono;
  }
  wallMs(): number {
    return this.wall;
  }
  advance(ms: number): void {
    this.mono += ms;
    this.wall += ms;
  }
}
