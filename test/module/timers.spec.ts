import { SchedulerRegistry } from '@nestjs/schedule';
import { ClientsModule } from '../../src/clients/clients.module';
import { HeartbeatRates } from '../../src/clients/heartbeat-rates';
import { PresenceReplicator } from '../../src/clients/presence-replicator';
import { PresenceService } from '../../src/clients/presence.service';
import { ElectionLifecycle } from '../../src/election/election-lifecycle';
import { DiskHealth } from '../../src/storage/disk-health';
import { type ModuleApp, NODE, OTHER_PEER, PEER, startModuleApp } from './support/module-app';

/**
 * The node's recurring timers are named intervals in @nestjs/schedule's SchedulerRegistry,
 * added in onModuleInit and removed in onModuleDestroy by the provider that owns them (see
 * docs/testing.md for the rule), so a test or an operator can list them by name. One with nothing
 * to do most of the time starts only when it has (docs/nest-idioms.md, Timers).
 */
describe('recurring timers', () => {
  let node: ModuleApp;
  afterEach(() => node.close());

  it('are registered by name once the module starts, and each owner removes its own', async () => {
    node = await startModuleApp({
      modules: [ClientsModule],
      file: { peers: [NODE, PEER, OTHER_PEER] },
    });
    const scheduler = node.app.get(SchedulerRegistry);
    expect(scheduler.getIntervals().sort()).toEqual([
      'disk-health',
      'election-load-refresh',
      'heartbeat-rates',
      'presence-expiry',
    ]);
    // The presence stream's fallback is a timeout that every delta re-arms.
    expect(scheduler.getTimeouts()).toContain('presence-sync');
    const owners = [
      ['interval', 'disk-health', DiskHealth],
      ['interval', 'election-load-refresh', ElectionLifecycle],
      ['interval', 'heartbeat-rates', HeartbeatRates],
      ['interval', 'presence-expiry', PresenceService],
      ['timeout', 'presence-sync', PresenceReplicator],
    ] as const;
    for (const [kind, job, owner] of owners) {
      await node.app.get<{ onModuleDestroy(): unknown }>(owner).onModuleDestroy();
      expect(scheduler.doesExist(kind, job)).toBe(false);
    }
  });

  it('leave out presence sync in a cluster of one, which has nobody to sync with', async () => {
    node = await startModuleApp({ modules: [ClientsModule] });
    expect(node.app.get(SchedulerRegistry).getTimeouts()).not.toContain('presence-sync');
    expect(node.app.get(SchedulerRegistry).getIntervals().sort()).toEqual([
      'disk-health',
      'election-load-refresh',
      'heartbeat-rates',
      'presence-expiry',
    ]);
  });
});
