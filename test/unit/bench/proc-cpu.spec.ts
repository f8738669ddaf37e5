import { machineBusyBetween, type MachineCpu } from '../../../bench/lib/proc-cpu';

describe('machineBusyBetween (bench: the whole machine between two readings of /proc/stat)', () => {
  it("gives the busy share of every core's ticks and the busy time in milliseconds", () => {
    // Two cores for 1 s at USER_HZ 100: 200 ticks, 150 of them busy, 10 in iowait, 4 stolen.
    const before: MachineCpu = { busy: 1_000, iowait: 40, steal: 6, total: 5_000 };
    const after: MachineCpu = { busy: 1_150, iowait: 50, steal: 10, total: 5_200 };
    expect(machineBusyBetween(before, after)).toEqual({
      busy: 0.75,
      iowait: 0.05,
      steal: 0.02,
      busyMs: 1_500,
    });
  });

  it('is null without two readings, or when no tick passed between them', () => {
    const reading: MachineCpu = { busy: 10, iowait: 0, steal: 0, total: 100 };
    expect(machineBusyBetween(null, reading)).toBeNull();
    expect(machineBusyBetween(reading, null)).toBeNull();
    expect(machineBusyBetween(reading, reading)).toBeNull();
  });
});
