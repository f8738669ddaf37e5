export interface BackoffOptions {
  /** The first retry waits up to this long (default 50 ms). */
  baseMs: number;
  /** No wait is longer than this (default 2000 ms). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 50, maxMs: 2000 };

/**
 * "Full jitter" exponential backoff: a uniform draw in [0, min(max, base * 2^attempt)).
 * After a failover every client retries at once; drawing the whole wait at random spreads them
 * over the window instead of sending them back together at each step.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** `intervalMs` moved by up to `fraction` either way, so clients started together drift apart. */
export function jittered(intervalMs: number, fraction: number, random: () => number): number {
  return Math.max(0, Math.round(intervalMs * (1 + fraction * (2 * random() - 1))));
}
