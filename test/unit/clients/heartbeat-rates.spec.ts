import { SchedulerRegistry } from '@nestjs/schedule';
import { ClientStats } from '../../../src/clients/client-stats';
import { HeartbeatRates } from '../../../src/clients/heartbeat-rates';
import type { ClusterConfig } from '../../../src/config/cluster-config';
import { FakeClock } from '../../support/fake-clock';

const SELF = '127.0.0.1:7001';
const F1 = '127.0.0.1:7002';
const F2 = '127.0.0.1:7003';

describe('HeartbeatRates', () => {
  it("reports this node's accepted heartbeats per second and each follower's passed on", () => {
    const clock = new FakeClock();
    const stats = new ClientStats();
    const rates = new HeartbeatRates(
      { thisNode: SELF } as ClusterConfig,
      clock,
      stats,
      new SchedulerRegistry(),
    );
    rates.sample();
    expect(rates.of(SELF)).toBeNull(); // one sample is no rate yet
    stats.heartbeats += 300;
    stats.followerHeartbeats += 100;
    stats.countForwarded(F1, 1000);
    clock.advance(2000);
    rates.sample();
    expect([rates.of(SELF), rates.of(F1), rates.of(F2)]).toEqual([200, null, null]);
    stats.countForwarded(F1, 500);
    stats.countForwarded(F2, 250);
    clock.advance(500);
    rates.sample();
    // F2 is new in this window: one sample of it is no rate yet.
    expect([rates.of(SELF), rates.of(F1), rates.of(F2)]).toEqual([0, 1000, null]);
  });
});
