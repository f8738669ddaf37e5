import { FakeClock } from '../../support/fake-clock';
import { handOver } from '../../../src/election/hand-over';
import type { ReplicatedLog } from '../../../src/election/replicated-log';

/**
 * A leader's log as handOver sees it: whether a follower is up to date at each look (while
 * clients write, mostly not: the entry in flight), and who leads once TimeoutNow went out.
 */
function leaderLog(upToDateAtLook: number | null) {
  let looks = 0;
  let handedTo: string | null = null;
  const log = {
    transferLeadership: () => {
      looks++;
      if (upToDateAtLook === null || looks < upToDateAtLook) return null;
      handedTo = 'b:2';
      return handedTo;
    },
    // The successor wins at once: the node then follows it.
    status: () =>
      handedTo === null
        ? { role: 'leader', leader: 'a:1' }
        : { role: 'follower', leader: handedTo },
  };
  return { log: log as unknown as ReplicatedLog, looks: () => looks };
}

describe('handOver', () => {
  it('looks again while no follower is up to date, and hands over once one is', async () => {
    const { log, looks } = leaderLog(3);
    const outcome = await handOver(log, new FakeClock(), { reason: 'operator', limitMs: 300 });
    expect(outcome).toMatchObject({ target: 'b:2', moved: true });
    expect(looks()).toBe(3);
  });

  it('gives up within its limit when no follower ever is, even on a clock that stands still', async () => {
    const { log, looks } = leaderLog(null);
    const outcome = await handOver(log, new FakeClock(), { reason: 'operator', limitMs: 50 });
    expect(outcome).toMatchObject({ target: null, moved: false });
    // One look, then one per 5 ms of the limit.
    expect(looks()).toBe(11);
  });

  it('stops looking once the clock passes the limit', async () => {
    const { log, looks } = leaderLog(null);
    const clock = new FakeClock();
    const stepping = {
      ...log,
      transferLeadership: () => (clock.advance(20), log.transferLeadership('operator')),
    };
    const outcome = await handOver(stepping as unknown as ReplicatedLog, clock, {
      reason: 'operator',
      limitMs: 50,
    });
    expect(outcome.target).toBeNull();
    expect(looks()).toBe(3);
  });
});
