import { IsoTimes } from '../../../src/common/iso-times';

describe('IsoTimes (Date.toISOString for many nearby instants)', () => {
  const asDate = (ms: number) => new Date(ms).toISOString();

  it('writes what Date writes across second, minute, day and year boundaries, in either order', () => {
    const times = new IsoTimes();
    const newYear = Date.UTC(2027, 0, 1);
    const instants = [
      newYear - 1_001,
      newYear - 1_000,
      newYear - 999,
      newYear - 1,
      newYear,
      newYear + 1,
      newYear + 9,
      newYear + 10,
      newYear + 99,
      newYear + 100,
      newYear + 999,
      newYear + 1_000,
      newYear + 60_000,
      newYear - 1, // back into the previous second
      0,
      -1,
      -999,
      -1_000,
      -1_001,
    ];
    for (const ms of instants) expect(times.format(ms)).toBe(asDate(ms));
  });

  it('truncates a fractional time as Date does', () => {
    const times = new IsoTimes();
    for (const ms of [1_764_000_000_123.9, 1_764_000_000_999.5, -0.5, -1.5]) {
      expect(times.format(ms)).toBe(asDate(ms));
    }
  });

  it('falls back to Date for years written with six digits', () => {
    const times = new IsoTimes();
    const year10000 = Date.UTC(10_000, 0, 1, 0, 0, 0, 7);
    const beforeYear0 = Date.UTC(-1, 11, 31, 23, 59, 59, 42);
    expect(times.format(year10000)).toBe(asDate(year10000));
    expect(times.format(beforeYear0)).toBe(asDate(beforeYear0));
    expect(times.format(year10000 - 5)).toBe(asDate(year10000 - 5));
  });

  it('matches Date over a random walk through thirty seconds of instants', () => {
    const times = new IsoTimes();
    // A fixed sequence (no Math.random): the same instants every run.
    let ms = Date.UTC(2026, 11, 3, 16, 59, 45);
    for (let i = 0; i < 5_000; i++) {
      ms += ((i * 7_919) % 23) - 5;
      expect(times.format(ms)).toBe(asDate(ms));
    }
  });
});
