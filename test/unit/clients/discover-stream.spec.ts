import type { MessageEvent } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DiscoverStreamService } from '../../../src/clients/discover-stream.service';
import { PresenceService } from '../../../src/clients/presence.service';
import type { ClusterConfig } from '../../../src/config/cluster-config';
import { LeadershipState } from '../../../src/election/leadership-state';
import { FakeClock } from '../../support/fake-clock';
import { waitFor } from '../../support/poll';

const config = { clientTimeoutMs: 1000 } as ClusterConfig;

describe('DiscoverStreamService', () => {
  let clock: FakeClock;
  let presence: PresenceService;
  let leadership: LeadershipState;
  const lead = (term: number) =>
    leadership.update({ role: 'leader', term, leader: 'a:1', leaderApi: 'http://a' });

  const open: (() => void)[] = [];
  afterEach(() => open.splice(0).forEach((stop) => stop()));

  beforeEach(() => {
    clock = new FakeClock();
    presence = new PresenceService(config, clock, new SchedulerRegistry());
    leadership = new LeadershipState();
    lead(1);
  });

  function collect(service: DiscoverStreamService, lastEventId?: string) {
    const got: MessageEvent[] = [];
    let done = false;
    const sub = service
      .open(lastEventId)
      .subscribe({ next: (m) => got.push(m), complete: () => (done = true) });
    const stop = () => sub.unsubscribe();
    open.push(stop);
    return { got, done: () => done, stop };
  }

  it('replays from the ring buffer, and sends a snapshot once the id is older than the buffer', () => {
    const service = new DiscoverStreamService(presence, leadership, 60_000, 3);
    const a = collect(service);
    for (const name of ['a', 'b', 'c']) presence.heartbeat(name, '10.0.0.1:1');
    expect(a.got.map((m) => m.id)).toEqual(['1-0', '1-1', '1-2', '1-3']);
    a.stop();
    expect(collect(service, '1-0').got.map((m) => m.type)).toEqual(['online', 'online', 'online']);
    presence.heartbeat('d', '10.0.0.1:1');
    // 1-1 is gone from a buffer of three: 1-2..1-4 cannot tell what followed 1-0.
    const old = collect(service, '1-0').got;
    expect(old.map((m) => [m.type, m.id])).toEqual([['snapshot', '1-4']]);
    expect(collect(service, '1-1').got.map((m) => m.id)).toEqual(['1-2', '1-3', '1-4']);
    expect(collect(service, '1-4').got).toEqual([]);
    // Ids from another term, from the future, or not ours at all.
    for (const id of ['2-1', '1-9', 'x']) {
      expect(collect(service, id).got.map((m) => m.type)).toEqual(['snapshot']);
    }
  });

  it('ends open streams when the node stops leading, and starts a new history in a new term', () => {
    const service = new DiscoverStreamService(presence, leadership, 60_000);
    const s = collect(service);
    presence.heartbeat('a', '10.0.0.1:1');
    leadership.update({ role: 'follower', term: 2, leader: 'b:1', leaderApi: 'http://b' });
    expect(s.done()).toBe(true);
    expect(service.openStreams).toBe(0);
    // A follower's shadow changes are not numbered.
    presence.heartbeat('b', '10.0.0.1:1');
    lead(3);
    const next = collect(service, '1-1');
    expect(next.got.map((m) => [m.type, m.id])).toEqual([['snapshot', '3-0']]);
    expect(next.got[0].data).toMatchObject({ count: 2, term: 3 });
  });

  it('writes a keep-alive comment on the interval it is given', async () => {
    const service = new DiscoverStreamService(presence, leadership, 10);
    const s = collect(service);
    await waitFor('two keep-alives', () => s.got.filter((m) => m.comment).length >= 2);
    s.stop();
    expect(s.got[0].type).toBe('snapshot');
    expect(s.got.slice(1).every((m) => m.comment === 'keep-alive')).toBe(true);
  });

  it('numbers offline events too, ahead of the snapshot that no longer shows them', () => {
    const service = new DiscoverStreamService(presence, leadership, 60_000);
    presence.heartbeat('a', '10.0.0.1:1');
    clock.advance(1000);
    const s = collect(service);
    expect(s.got.map((m) => [m.type, m.id, m.data])).toEqual([
      ['snapshot', '1-2', { online_clients: [], count: 0, term: 1 }],
    ]);
    expect(collect(service, '1-1').got.map((m) => [m.type, m.data])).toEqual([
      ['offline', { username: 'a' }],
    ]);
  });
});
