import { backoffDelay, jittered } from '../../../src/sdk';

describe('backoff and jitter', () => {
  const opts = { baseMs: 50, maxMs: 2000 };

  it('draws the whole wait at random below a ceiling that doubles up to the maximum', () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, opts, () => 0.999999))).toEqual([
      49, 99, 199, 399, 1999,
    ]);
    expect(backoffDelay(5, opts, () => 0)).toBe(0);
    expect(backoffDelay(5, opts, () => 0.5)).toBe(800);
    // A huge attempt number must not overflow into Infinity or NaN.
    expect(backoffDelay(10_000, opts, () => 0.5)).toBe(1000);
  });

  it('moves a heartbeat interval by up to the jitter fraction either way', () => {
    expect(jittered(10_000, 0.1, () => 0)).toBe(9000);
    expect(jittered(10_000, 0.1, () => 0.5)).toBe(10_000);
    expect(jittered(10_000, 0.1, () => 1)).toBe(11_000);
  });
});
