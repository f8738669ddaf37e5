import { OnlineListPartialError } from '../../../src/clients/client-errors';
import { ClientStats } from '../../../src/clients/client-stats';
import { ClientsService } from '../../../src/clients/clients.service';
import type { PresenceReplicator } from '../../../src/clients/presence-replicator';
import type { PresenceService } from '../../../src/clients/presence.service';
import type { RegistryService } from '../../../src/clients/registry.service';
import { LeaseNotHeldError } from '../../../src/common/http/leadership-errors';
import type { ClusterConfig } from '../../../src/config/cluster-config';
import { LeadershipState } from '../../../src/election/leadership-state';

const CONFIG = { requireClientToken: false } as ClusterConfig;

describe('ClientsService.register', () => {
  it('does not answer 200 when leadership was lost while the registration was being saved', async () => {
    const stats = new ClientStats();
    const leadership = new LeadershipState();
    leadership.update({ role: 'leader', term: 2, leader: 'a:1', leaderApi: null }, () => true);
    let finishSave: () => void = () => undefined;
    const registry = {
      register: () =>
        new Promise((resolve) => {
          finishSave = () =>
            resolve({
              user: { user_id: 'u', username: 'alice', addr: '1.2.3.4:5', registered_at: 'x' },
              token: 't',
            });
        }),
    } as unknown as RegistryService;
    const service = new ClientsService(registry, {} as PresenceService, leadership, stats, CONFIG);

    const pending = service.register('alice', '1.2.3.4:5');
    leadership.stopServing(); // a hand-over started while the fsync ran
    finishSave();
    await expect(pending).rejects.toThrow(LeaseNotHeldError);
    expect(stats.registrations).toBe(0);
  });

  it('answers 200 when it still leads after the save', async () => {
    const stats = new ClientStats();
    const leadership = new LeadershipState();
    leadership.update({ role: 'leader', term: 2, leader: 'a:1', leaderApi: null }, () => true);
    const registry = {
      register: () =>
        Promise.resolve({
          user: { user_id: 'u1', username: 'alice', addr: '1.2.3.4:5', registered_at: 'x' },
          token: 'tok',
        }),
    } as unknown as RegistryService;
    const service = new ClientsService(registry, {} as PresenceService, leadership, stats, CONFIG);
    await expect(service.register('alice', '1.2.3.4:5')).resolves.toEqual({
      success: true,
      message: "User 'alice' registered successfully at 1.2.3.4:5",
      user_id: 'u1',
      token: 'tok',
    });
    expect(stats.registrations).toBe(1);
  });
});

describe('ClientsService.discover', () => {
  const presence = { listJson: () => ({ json: '[]', count: 0 }) } as unknown as PresenceService;
  const leaderWith = (missingCopies: string[]) => {
    const leadership = new LeadershipState();
    leadership.update({ role: 'leader', term: 2, leader: 'a:1', leaderApi: null }, () => true);
    const replicator = { gathering: null, missingCopies } as unknown as PresenceReplicator;
    const registry = {} as RegistryService;
    return new ClientsService(
      registry,
      presence,
      leadership,
      new ClientStats(),
      CONFIG,
      replicator,
    );
  };

  it('answers 503 naming the copies it waits for while its list may lack clients', () => {
    expect(() => leaderWith(['b:1', 'c:1']).discover()).toThrow(
      new OnlineListPartialError(['b:1', 'c:1']),
    );
    expect(() => leaderWith(['b:1']).discover()).toThrow(/waiting for the copies of b:1/);
  });

  it('answers from its list once it is whole', () => {
    expect(leaderWith([]).discover()).toBe('{"online_clients":[],"count":0,"is_leader":true}');
  });
});
