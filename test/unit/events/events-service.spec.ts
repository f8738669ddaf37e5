import { SchedulerRegistry } from '@nestjs/schedule';
import { PresenceService } from '../../../src/clients/presence.service';
import type { ClusterConfig } from '../../../src/config/cluster-config';
import { LeadershipState } from '../../../src/election/leadership-state';
import { BATCH_WINDOW_MS, EVENTS_KEPT, EventsService } from '../../../src/events/events.service';
import { FakeClock } from '../../support/fake-clock';

describe('EventsService', () => {
  const TIMEOUT = 30_000;
  const SELF = '127.0.0.1:8081';
  let clock: FakeClock;
  let leadership: LeadershipState;
  let presence: PresenceService;
  let events: EventsService;

  beforeEach(() => {
    clock = new FakeClock();
    const config = { thisNode: SELF, clientTimeoutMs: TIMEOUT } as ClusterConfig;
    leadership = new LeadershipState();
    presence = new PresenceService(config, clock, new SchedulerRegistry());
    events = new EventsService(config, clock, leadership, presence);
  });

  const kinds = () => events.recent().map((e) => e.kind);

  it('tells elections from transfers by their reason, newest first, with node and term', () => {
    leadership.announce({ role: 'candidate', term: 2, leader: null, reason: 'election timeout' });
    clock.advance(5);
    leadership.announce({ role: 'leader', term: 2, leader: SELF, reason: 'won election' });
    leadership.announce({
      role: 'follower',
      term: 2,
      leader: SELF,
      reason: 'transfer to 127.0.0.1:8082 for load',
    });
    leadership.announce({
      role: 'candidate',
      term: 3,
      leader: null,
      reason: 'timeout-now from 127.0.0.1:8080',
    });
    expect(kinds()).toEqual(['transfer', 'transfer', 'election', 'election']);
    const [, , won, candidate] = events.recent();
    expect(won).toEqual({
      at: new Date(clock.wallMs()).toISOString(),
      kind: 'election',
      node: SELF,
      term: 2,
      message: `${SELF} became leader in term 2 (won election)`,
      count: 1,
    });
    expect(candidate.at).toBe(new Date(clock.wallMs() - 5).toISOString());
    expect(events.recent()[1].message).toContain('transfer to 127.0.0.1:8082 for load');
  });

  it('reports clients coming online and expiring, offline ones as expiries', () => {
    leadership.update({ role: 'leader', term: 4, leader: SELF, leaderApi: null });
    presence.heartbeat('alice', '10.0.0.1:9000');
    clock.advance(BATCH_WINDOW_MS);
    clock.advance(TIMEOUT);
    presence.expireDue();
    const [expiry, online] = events.recent();
    expect(online).toMatchObject({ kind: 'online', term: 4, count: 1 });
    expect(online.message).toBe("'alice' came online");
    expect(expiry).toMatchObject({ kind: 'expiry', term: 4, count: 1 });
    expect(expiry.message).toBe("'alice' went offline");
  });

  it('tells 100k expiries in one line, so they cannot push elections out of the feed', () => {
    leadership.announce({ role: 'leader', term: 1, leader: SELF, reason: 'won election' });
    for (let i = 0; i < 100_000; i++) presence.heartbeat(`c${i}`, '10.0.0.1:9000');
    clock.advance(TIMEOUT);
    presence.expireDue();
    expect(kinds()).toEqual(['expiry', 'online', 'election']);
    const [expiry, online] = events.recent();
    expect(online.count).toBe(100_000);
    expect(expiry.count).toBe(100_000);
    expect(expiry.message).toBe("100000 clients went offline ('c0', 'c1', 'c2', …)");
  });

  it('starts a new line once the batch window has passed', () => {
    presence.heartbeat('alice', '10.0.0.1:9000');
    clock.advance(BATCH_WINDOW_MS - 1);
    presence.heartbeat('bob', '10.0.0.2:9000');
    clock.advance(1);
    presence.heartbeat('carol', '10.0.0.3:9000');
    expect(events.recent().map((e) => e.message)).toEqual([
      "'carol' came online",
      "2 clients came online ('alice', 'bob')",
    ]);
  });

  it(`keeps only the last ${EVENTS_KEPT} lines`, () => {
    for (let term = 1; term <= EVENTS_KEPT + 30; term++) {
      leadership.announce({ role: 'candidate', term, leader: null, reason: 'election timeout' });
    }
    const terms = events.recent().map((e) => e.term);
    expect(terms).toHaveLength(EVENTS_KEPT);
    expect(terms[0]).toBe(EVENTS_KEPT + 30);
    expect(terms.at(-1)).toBe(31);
  });

  it('hands out copies: a batch growing later does not change an answer already given', () => {
    presence.heartbeat('alice', '10.0.0.1:9000');
    const before = events.recent();
    presence.heartbeat('bob', '10.0.0.2:9000');
    expect(before[0].count).toBe(1);
    expect(events.recent()[0].count).toBe(2);
  });
});
