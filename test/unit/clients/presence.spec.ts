import { SchedulerRegistry } from '@nestjs/schedule';
import { PresenceService } from '../../../src/clients/presence.service';
import type { ClusterConfig } from '../../../src/config/cluster-config';
import { FakeClock } from '../../support/fake-clock';

describe('PresenceService', () => {
  const TIMEOUT = 30_000;
  let clock: FakeClock;
  let presence: PresenceService;

  beforeEach(() => {
    clock = new FakeClock();
    presence = new PresenceService(
      { clientTimeoutMs: TIMEOUT } as ClusterConfig,
      clock,
      new SchedulerRegistry(),
    );
  });

  const names = () => presence.list().map((c) => c.username);

  it('keeps a client online while its last heartbeat is younger than the timeout', () => {
    presence.heartbeat('alice', '10.0.0.1:9000');
    clock.advance(TIMEOUT - 1);
    expect(names()).toEqual(['alice']);
    clock.advance(1);
    expect(names()).toEqual([]);
    expect(presence.count).toBe(0);
  });

  it('counts the timeout from the latest heartbeat', () => {
    presence.heartbeat('alice', '10.0.0.1:9000');
    clock.advance(20_000);
    presence.heartbeat('alice', '10.0.0.1:9000');
    clock.advance(20_000);
    expect(names()).toEqual(['alice']);
    clock.advance(10_000);
    expect(names()).toEqual([]);
  });

  it('expires exactly the clients that are due and reports how many', () => {
    presence.heartbeat('a', '10.0.0.1:1');
    clock.advance(1_000);
    presence.heartbeat('b', '10.0.0.1:2');
    clock.advance(1_000);
    presence.heartbeat('c', '10.0.0.1:3');
    presence.heartbeat('a', '10.0.0.1:1'); // a is now the freshest
    clock.advance(TIMEOUT - 1_000);
    expect(presence.expireDue()).toBe(1); // b
    expect(names()).toEqual(['c', 'a']);
    clock.advance(1_000);
    expect(presence.expireDue()).toBe(2);
    expect(presence.expireDue()).toBe(0);
  });

  it('reports the heartbeat age and the time it happened', () => {
    presence.heartbeat('alice', '10.0.0.1:9000');
    const at = new Date(clock.wallMs()).toISOString();
    clock.advance(1_234);
    expect(presence.list()).toEqual([
      { username: 'alice', addr: '10.0.0.1:9000', last_seen: at, last_seen_ms_ago: 1_234 },
    ]);
  });

  it('follows a client that moved to another address', () => {
    presence.heartbeat('alice', '10.0.0.1:9000');
    presence.heartbeat('alice', '10.0.0.2:9000');
    expect(presence.list().map((c) => c.addr)).toEqual(['10.0.0.2:9000']);
  });

  it('does work in proportion to what expires, not to everyone online', () => {
    for (let i = 0; i < 10_000; i++) presence.heartbeat(`u${i}`, '10.0.0.1:1');
    clock.advance(TIMEOUT / 2);
    presence.heartbeat('late', '10.0.0.1:1');
    clock.advance(TIMEOUT / 2);
    // Count how many entries the pass looks at: the 10,000 due plus the first live one.
    const online = (presence as unknown as { online: Map<string, unknown> }).online;
    const values = jest.spyOn(online, 'values');
    let visited = 0;
    function* counting() {
      for (const v of Map.prototype.values.call(online) as IterableIterator<unknown>) {
        visited++;
        yield v;
      }
    }
    values.mockImplementation(counting as unknown as () => MapIterator<unknown>);
    expect(presence.expireDue()).toBe(10_000);
    expect(visited).toBe(10_001);
    visited = 0;
    expect(presence.expireDue()).toBe(0);
    expect(visited).toBe(1);
  });
});
