/** Time as the node sees it. Injected so that expiry and elections can be tested without waiting. */
export interface Clock {
  /** Monotonic milliseconds: only differences mean anything; never jumps with the wall clock. */
  monotonicMs(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps shown to people. */
  wallMs(): number;
}

export const CLOCK = Symbol('CLOCK');

export class SystemClock implements Clock {
  monotonicMs(): number {
    return performance.now();
  }
  wallMs(): number {
    return Date.now();
  }
}
