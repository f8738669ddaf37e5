import type { DriveFailure } from '../../../src/drive/drive-failure';
import { retryAfterMs, RetryPolicy } from '../../../src/drive/retry-policy';

const transient: DriveFailure = { status: 503, retryAfter: null, transient: true, message: '503' };
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

describe('RetryPolicy', () => {
  it('doubles the ceiling per failure up to the maximum, and jitters below it', () => {
    const top = new RetryPolicy(100, 5_000, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 20, 80].map((n) => top.delayMs(n, transient, NOW))).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000,
    ]);
    const half = new RetryPolicy(100, 5_000, () => 0.5);
    expect([1, 3, 10].map((n) => half.delayMs(n, transient, NOW))).toEqual([50, 200, 2500]);
    // Full jitter: two leaders failing together do not retry together.
    const bottom = new RetryPolicy(100, 5_000, () => 0);
    expect(bottom.delayMs(5, transient, NOW)).toBe(0);
  });

  it('never retries before the Retry-After the server asked for', () => {
    const p = new RetryPolicy(100, 5_000, () => 0.5);
    expect(p.delayMs(1, { ...transient, status: 429, retryAfter: '7' }, NOW)).toBe(7_000);
    const date = new Date(NOW + 3_000).toUTCString();
    expect(p.delayMs(1, { ...transient, status: 429, retryAfter: date }, NOW)).toBe(3_000);
    // A Retry-After shorter than the backoff does not shorten it.
    expect(p.delayMs(10, { ...transient, status: 429, retryAfter: '1' }, NOW)).toBe(2_500);
  });

  it('waits the longest after a failure that is not transient', () => {
    const p = new RetryPolicy(100, 5_000, () => 0);
    const denied: DriveFailure = { status: 404, retryAfter: null, transient: false, message: '' };
    expect(p.delayMs(1, denied, NOW)).toBe(5_000);
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates, and ignores anything else', () => {
    expect(retryAfterMs('120', NOW)).toBe(120_000);
    expect(retryAfterMs(' 0 ', NOW)).toBe(0);
    expect(retryAfterMs(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(retryAfterMs(new Date(NOW - 90_000).toUTCString(), NOW)).toBe(0);
    expect(retryAfterMs('soon', NOW)).toBeNull();
    expect(retryAfterMs('-5', NOW)).toBeNull();
    expect(retryAfterMs(null, NOW)).toBeNull();
  });
});
