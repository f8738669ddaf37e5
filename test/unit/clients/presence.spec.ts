import { SchedulerRegistry } from '@nestjs/schedule';
import {
  type PresenceRecord,
  PresenceService,
  VIEWS_PER_PART,
} from '../../../src/clients/presence.service';
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

  it('tells listeners who came online, moved or went offline, and nothing on a refresh', () => {
    const events: unknown[] = [];
    presence.onEvent((e) => events.push(e));
    presence.heartbeat('alice', '10.0.0.1:9000');
    presence.heartbeat('alice', '10.0.0.1:9000');
    presence.heartbeat('alice', '10.0.0.2:9000');
    presence.apply({ online: [['bob', '10.0.0.3:1', 0]], offline: ['alice', 'nobody'] });
    clock.advance(TIMEOUT);
    presence.expireDue();
    expect(events).toEqual([
      { kind: 'online', username: 'alice', addr: '10.0.0.1:9000' },
      { kind: 'online', username: 'alice', addr: '10.0.0.2:9000' },
      { kind: 'offline', username: 'alice' },
      { kind: 'online', username: 'bob', addr: '10.0.0.3:1' },
      { kind: 'offline', username: 'bob' },
    ]);
  });

  it('tells listeners only what a full resync changed', () => {
    presence.apply({
      online: [
        ['a', '10.0.0.1:1', 0],
        ['b', '10.0.0.2:1', 0],
      ],
      offline: [],
    });
    const events: unknown[] = [];
    presence.onEvent((e) => events.push(e));
    presence.replaceAll([
      ['a', '10.0.0.1:1', 0],
      ['b', '10.0.0.9:1', 0],
      ['c', '10.0.0.3:1', 0],
    ]);
    expect(events).toEqual([
      { kind: 'online', username: 'b', addr: '10.0.0.9:1' },
      { kind: 'online', username: 'c', addr: '10.0.0.3:1' },
    ]);
    events.length = 0;
    presence.replaceAll([['c', '10.0.0.3:1', 0]]);
    expect(events).toEqual([
      { kind: 'offline', username: 'a' },
      { kind: 'offline', username: 'b' },
    ]);
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

describe('PresenceService sync between leader and followers', () => {
  const TIMEOUT = 30_000;
  const make = (clock: FakeClock) =>
    new PresenceService(
      { clientTimeoutMs: TIMEOUT } as ClusterConfig,
      clock,
      new SchedulerRegistry(),
    );

  it('drains what changed since the last drain, oldest first, with ages and the names gone', () => {
    const clock = new FakeClock();
    const leader = make(clock);
    leader.heartbeat('early', '10.0.0.1:1');
    leader.trackChanges(true);
    leader.heartbeat('a', '10.0.0.2:1');
    clock.advance(100);
    leader.heartbeat('b', '10.0.0.3:1');
    clock.advance(50);
    expect(leader.drainChanges()).toEqual({
      online: [
        ['a', '10.0.0.2:1', 150],
        ['b', '10.0.0.3:1', 50],
      ],
      offline: [],
    });
    expect(leader.drainChanges()).toEqual({ online: [], offline: [] });
    clock.advance(TIMEOUT);
    expect(leader.drainChanges().offline.sort()).toEqual(['a', 'b', 'early']);
  });

  it('rebuilds a follower shadow from records, keeping each client its real age', () => {
    const leaderClock = new FakeClock(5_000_000);
    const followerClock = new FakeClock(42); // another machine: its clock reads something else
    const leader = make(leaderClock);
    const follower = make(followerClock);
    follower.setExpiring(false);
    leader.heartbeat('a', '10.0.0.2:1');
    leaderClock.advance(1_000);
    leader.heartbeat('b', '10.0.0.3:1');
    leaderClock.advance(500);
    follower.replaceAll(leader.snapshot());
    expect(follower.list().map((c) => [c.username, c.last_seen_ms_ago])).toEqual([
      ['a', 1_500],
      ['b', 500],
    ]);
    follower.apply({ online: [['c', '10.0.0.4:1', 0]], offline: ['a'] });
    expect(follower.list().map((c) => c.username)).toEqual(['b', 'c']);
    // A follower's copy loses clients only by the leader's word, not by its own clock...
    followerClock.advance(TIMEOUT - 500);
    expect(follower.list().map((c) => c.username)).toEqual(['b', 'c']);
    // ...until it leads: then its clock expires them from their real last heartbeat.
    follower.setExpiring(true);
    expect(follower.list().map((c) => c.username)).toEqual(['c']);
  });

  it('keeps the real age of a heartbeat a delta carries late, and the last-heartbeat order', () => {
    const clock = new FakeClock();
    const follower = make(clock);
    follower.setExpiring(false);
    follower.apply({ online: [['a', '10.0.0.1:1', 0]], offline: [] });
    clock.advance(10_000);
    follower.apply({ online: [['b', '10.0.0.2:1', 0]], offline: [] });
    // A new leader merged c from another copy: its heartbeat is older than b's.
    follower.apply({ online: [['c', '10.0.0.3:1', 9_000]], offline: [] });
    expect(follower.list().map((c) => [c.username, c.last_seen_ms_ago])).toEqual([
      ['a', 10_000],
      ['c', 9_000],
      ['b', 0],
    ]);
    // Leading, it expires a and c when their time is up, not c 9 s late.
    follower.setExpiring(true);
    clock.advance(TIMEOUT - 9_000);
    expect(follower.list().map((c) => c.username)).toEqual(['b']);
  });

  it('pushes timeouts back by the election gap when a follower takes over, never past now', () => {
    const clock = new FakeClock();
    const p = make(clock);
    p.apply({
      online: [
        ['old', '10.0.0.1:1', 29_000],
        ['fresh', '10.0.0.2:1', 100],
      ],
      offline: [],
    });
    clock.advance(800); // the election
    p.extendBy(800);
    expect(p.list().map((c) => [c.username, c.last_seen_ms_ago])).toEqual([
      ['old', 29_000],
      ['fresh', 100],
    ]);
    clock.advance(999);
    expect(p.list().map((c) => c.username)).toEqual(['old', 'fresh']);
    clock.advance(1);
    expect(p.list().map((c) => c.username)).toEqual(['fresh']);
  });

  it('counts every gain, by any path, and nothing it lets go', () => {
    const clock = new FakeClock();
    const p = make(clock);
    const gained = (change: () => unknown) => {
      const before = p.gains;
      change();
      return p.gains - before;
    };
    expect(gained(() => p.heartbeat('a', '10.0.0.1:1'))).toBe(1);
    expect(gained(() => p.heartbeat('a', '10.0.0.1:1'))).toBe(1); // a refresh
    expect(gained(() => p.apply({ online: [['b', '10.0.0.2:1', 0]], offline: ['a'] }))).toBe(1);
    expect(gained(() => p.apply({ online: [], offline: ['b'] }))).toBe(0);
    expect(gained(() => p.replaceAll([['c', '10.0.0.3:1', 0]]))).toBe(1);
    expect(gained(() => p.replaceAll([]))).toBe(0);
    // A merged copy counts each client it adds or freshens, not one this list holds fresher.
    p.heartbeat('d', '10.0.0.4:1');
    p.heartbeat('f', '10.0.0.6:1');
    clock.advance(1_000);
    const copy: PresenceRecord[] = [
      ['d', '10.0.0.4:1', 5_000], // older than this list's
      ['f', '10.0.0.6:1', 0], // fresher
      ['e', '10.0.0.5:1', 0], // new
    ];
    expect(gained(() => p.merge(copy))).toBe(2);
    expect(gained(() => p.extendBy(1_000))).toBe(1); // every client younger
    clock.advance(TIMEOUT);
    expect(gained(() => p.expireDue())).toBe(0);
  });
});

describe('PresenceService.listJson, the body of /discover', () => {
  const TIMEOUT = 30_000;

  it('says what list() says after every kind of change', () => {
    const clock = new FakeClock();
    const p = new PresenceService(
      { clientTimeoutMs: TIMEOUT } as ClusterConfig,
      clock,
      new SchedulerRegistry(),
    );
    const same = () => {
      const { json, count } = p.listJson();
      const list = p.list();
      expect(JSON.parse(json)).toEqual(list);
      expect(count).toBe(list.length);
    };
    same();
    p.heartbeat('alice', '10.0.0.1:9000');
    same();
    clock.advance(250);
    p.heartbeat('bob', '10.0.0.2:9000');
    same();
    clock.advance(50);
    same(); // only the ages moved
    p.heartbeat('alice', '10.9.9.9:7000'); // moved, and now the freshest
    same();
    clock.advance(TIMEOUT - 10);
    p.heartbeat('carol', '[::1]:1');
    same();
    clock.advance(10); // bob expires
    same();
    p.apply({ online: [['dave', 'peer.example.org:1', 5_000]], offline: ['carol'] });
    same();
    clock.advance(700);
    p.extendBy(700); // every entry's last heartbeat moves
    same();
    p.replaceAll([['erin', '10.0.0.5:5', 20]]);
    same();
    clock.advance(TIMEOUT);
    expect(p.listJson()).toEqual({ json: '[]', count: 0 });
  });

  it('writes, byte for byte, what /discover always wrote, on either side of the parts it is written in', () => {
    const part = VIEWS_PER_PART;
    for (const size of [1, part - 1, part, part + 1, 2 * part, 2 * part + part / 2]) {
      // A wall clock between two milliseconds, as a test clock may give.
      const clock = new FakeClock(1_000, Date.UTC(2026, 11, 31, 23, 59, 50) + 0.5);
      const p = new PresenceService(
        { clientTimeoutMs: TIMEOUT } as ClusterConfig,
        clock,
        new SchedulerRegistry(),
      );
      const sent: { username: string; addr: string; at: number }[] = [];
      for (let i = 0; i < size; i++) {
        // Names JSON must escape, and heartbeats spread over several seconds of last_seen,
        // across a change of year.
        const beat = { username: `c-${i}-"é\\\u2028`, addr: `10.0.${i % 256}.1:${1_000 + i}` };
        p.heartbeat(beat.username, beat.addr);
        sent.push({ ...beat, at: clock.monotonicMs() });
        clock.advance(2);
      }
      // The text as it was written by hand before views: each client in last-heartbeat order.
      const now = clock.monotonicMs();
      const wall = clock.wallMs();
      const expected = sent.map(({ username, addr, at }) => {
        const age = Math.round(now - at);
        return `{"username":${JSON.stringify(username)},"addr":${JSON.stringify(addr)},"last_seen":"${new Date(wall - age).toISOString()}","last_seen_ms_ago":${age}}`;
      });
      const { json, count } = p.listJson();
      expect(json).toBe(`[${expected.join(',')}]`);
      expect(count).toBe(size);
    }
  });
});
