import { SchedulerRegistry } from '@nestjs/schedule';
import { CORE_TICK_TIMEOUT, CoreTimer } from '../../../src/election/core-timer';
import { FakeClock } from '../../support/fake-clock';

describe('CoreTimer', () => {
  let scheduler: SchedulerRegistry;
  let clock: FakeClock;
  let fired: number;
  let timer: CoreTimer;
  let waits: jest.SpyInstance;

  beforeEach(() => {
    jest.useFakeTimers();
    waits = jest.spyOn(global, 'setTimeout');
    scheduler = new SchedulerRegistry();
    clock = new FakeClock(1_000.25);
    fired = 0;
    timer = new CoreTimer(scheduler, clock, () => fired++);
  });

  afterEach(() => {
    timer.cancel();
    waits.mockRestore();
    jest.useRealTimers();
  });

  const lastWait = () => waits.mock.calls.at(-1)?.[1] as number;

  it('waits whole milliseconds, rounded up, so it is not woken a fraction early for nothing', () => {
    timer.armFor(clock.monotonicMs() + 48.5);
    expect(lastWait()).toBe(49);
    timer.armFor(clock.monotonicMs() + 0.3);
    expect(lastWait()).toBe(1);
    timer.armFor(clock.monotonicMs() - 5); // already due
    expect(lastWait()).toBe(0);
  });

  it('keeps one wake-up at a time, for the deadline last asked for, and at most a second away', () => {
    timer.armFor(clock.monotonicMs() + 10);
    timer.armFor(clock.monotonicMs() + 20);
    expect(scheduler.getTimeouts()).toEqual([CORE_TICK_TIMEOUT]);
    jest.advanceTimersByTime(19);
    expect(fired).toBe(0);
    jest.advanceTimersByTime(1);
    expect(fired).toBe(1);
    expect(scheduler.doesExist('timeout', CORE_TICK_TIMEOUT)).toBe(false);

    timer.armFor(Infinity);
    expect(lastWait()).toBe(1_000);
  });
});
