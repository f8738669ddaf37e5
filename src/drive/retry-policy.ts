import type { DriveFailure } from './drive-failure';

/**
 * How long to wait after the n-th failure in a row: exponential backoff with full jitter, so
 * that leaders and workers do not retry in step, never less than the server's Retry-After.
 * A failure that is not transient (bad credentials, a folder that is gone) waits the longest:
 * the operator has to fix something, and nothing is dropped meanwhile.
 */
export class RetryPolicy {
  constructor(
    readonly baseMs: number,
    readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** `failures` counts consecutive failures, this one included (1 for the first). */
  delayMs(failures: number, failure: DriveFailure, nowWallMs: number): number {
    const retryAfter = retryAfterMs(failure.retryAfter, nowWallMs);
    if (!failure.transient) return Math.max(this.maxMs, retryAfter ?? 0);
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(failures - 1, 30));
    const jittered = Math.round(this.random() * ceiling);
    return Math.max(jittered, retryAfter ?? 0);
  }
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | null, nowWallMs: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Date.parse would read "-5" as a year; an HTTP date always names its day and month.
  if (!/[A-Za-z]/.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowWallMs);
}
