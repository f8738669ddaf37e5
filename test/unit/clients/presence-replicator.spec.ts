import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PresenceReplicator } from '../../../src/clients/presence-replicator';
import { PresenceService } from '../../../src/clients/presence.service';
import { LeaseNotHeldError } from '../../../src/common/http/leadership-errors';
import type { ClusterConfig } from '../../../src/config/cluster-config';
import { LeadershipState } from '../../../src/election/leadership-state';
import type { PeerChannel } from '../../../src/election/peer-channel';
import type { Envelope } from '../../../src/election/transport/envelope';
import { FakeClock } from '../../support/fake-clock';
import { waitFor } from '../../support/poll';
import { FakeChannelBase } from '../../support/fake-channel';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
const C = '127.0.0.1:7003';
const D = '127.0.0.1:7004';
const E = '127.0.0.1:7005';

const configFor = (peers: string[]) =>
  ({
    thisNode: B,
    peers,
    clientTimeoutMs: 30_000,
    heartbeatIntervalMs: 50,
    electionTimeoutMinMs: 300,
  }) as ClusterConfig;

/** Routes frames straight to handlers and records what is sent. */
class FakeChannel extends FakeChannelBase {
  readonly sent: { to: string; type: string; term: number; body: Record<string, unknown> }[] = [];
  readonly routes = new Map<string, (e: Envelope) => void>();
  /** Peers out of reach: a send to one fails, as PeerChannel.send does with no link. */
  readonly down = new Set<string>();
  constructor(readonly others: string[]) {
    super();
  }
  on(type: string, _validate: unknown, handle: (e: Envelope) => void) {
    this.routes.set(type, handle);
  }
  send(to: string, type: string, term: number, body: Record<string, unknown>) {
    if (this.down.has(to)) return false;
    this.sent.push({ to, type, term, body });
    return true;
  }
  deliver(type: string, term: number, body: Record<string, unknown>, from = A) {
    this.routes.get(type)!({ ...body, type, from, to: B, term, cpu: 0, api: 'x' });
  }
  /** What was sent of one type, in order. */
  of(type: string) {
    return this.sent.filter((m) => m.type === type);
  }
}

/** A replicator on node B, with its presence, leadership and a channel to its peers, in memory. */
function makeNode(peers = [A, B]) {
  const config = configFor(peers);
  const clock = new FakeClock();
  const scheduler = new SchedulerRegistry();
  const presence = new PresenceService(config, clock, scheduler);
  const leadership = new LeadershipState();
  const channel = new FakeChannel(peers.filter((p) => p !== B));
  const replicator = new PresenceReplicator(
    config,
    clock,
    leadership,
    presence,
    channel as unknown as PeerChannel,
    scheduler,
  );
  replicator.onModuleInit();
  return { clock, presence, leadership, channel, replicator, scheduler };
}

/** The tick the scheduler would run every heartbeat interval. */
const tick = (r: PresenceReplicator) => (r as unknown as { tick: () => void }).tick();
/** Who is online on `node`, by name, in order. */
const onlineNames = (node: ReturnType<typeof makeNode>) =>
  node.presence
    .list()
    .map((c) => c.username)
    .sort();
/** Lets setImmediate callbacks and settled promises run. */
const turn = () => new Promise((r) => setImmediate(r));

describe('PresenceReplicator on a follower', () => {
  let node: ReturnType<typeof makeNode>;
  let clock: FakeClock;
  let presence: PresenceService;
  let leadership: LeadershipState;
  let channel: FakeChannel;

  beforeEach(() => {
    node = makeNode();
    ({ clock, presence, leadership, channel } = node);
    leadership.update({ role: 'follower', term: 3, leader: A, leaderApi: null });
  });
  afterEach(() => node.replicator.onModuleDestroy());

  const names = () => presence.list().map((c) => c.username);

  it('applies the full list, then deltas in sequence', () => {
    channel.deliver('PresenceFull', 3, {
      seq: 4,
      chunk: 0,
      chunks: 2,
      records: [['a', '10.0.0.1:1', 10]],
    });
    channel.deliver('PresenceFull', 3, {
      seq: 4,
      chunk: 1,
      chunks: 2,
      records: [['b', '10.0.0.2:1', 5]],
    });
    expect(names()).toEqual(['a', 'b']);
    channel.deliver('PresenceDelta', 3, {
      seq: 5,
      online: [['c', '10.0.0.3:1', 0]],
      offline: ['a'],
    });
    expect(names()).toEqual(['b', 'c']);
    // Each list it holds is acknowledged, so the leader knows how far a majority holds its list.
    expect(channel.sent).toEqual([
      { to: A, type: 'PresenceAck', term: 3, body: { seq: 4, full: true } },
      { to: A, type: 'PresenceAck', term: 3, body: { seq: 5, full: false } },
    ]);
  });

  it('ignores a full list older than the copy it holds, should one ever arrive late', () => {
    channel.deliver('PresenceFull', 3, {
      seq: 4,
      chunk: 0,
      chunks: 1,
      records: [['a', '10.0.0.1:1', 0]],
    });
    channel.deliver('PresenceDelta', 3, { seq: 5, online: [['c', '10.0.0.3:1', 0]], offline: [] });
    // The leader counts this copy a holder of c from the ack of 5 on: an older list must not undo it.
    channel.deliver('PresenceFull', 3, { seq: 3, chunk: 0, chunks: 1, records: [] });
    expect(names()).toEqual(['a', 'c']);
    channel.deliver('PresenceDelta', 3, { seq: 6, online: [['d', '10.0.0.4:1', 0]], offline: [] });
    expect(names()).toEqual(['a', 'c', 'd']);
    expect(channel.of('PresenceAck').map((m) => m.body.seq)).toEqual([4, 5, 6]);
    expect(channel.of('PresenceSyncRequest')).toEqual([]);
  });

  it('takes no delta of a new term until the full list of that term came, whatever its seq', () => {
    channel.deliver('PresenceFull', 3, {
      seq: 10,
      chunk: 0,
      chunks: 1,
      records: [['a', '10.0.0.1:1', 0]],
    });
    leadership.update({ role: 'follower', term: 4, leader: A, leaderApi: null });
    // The new term's stream starts again from 1: this copy is of another list, so it asks.
    channel.deliver('PresenceDelta', 4, { seq: 1, online: [['b', '10.0.0.2:1', 0]], offline: [] });
    // The full list is lost with deltas 2 to 10; delta 11 follows the old term's 10 by number
    // only. Acknowledging it would make this node a holder of b, which it lacks.
    channel.deliver('PresenceDelta', 4, { seq: 11, online: [['c', '10.0.0.3:1', 0]], offline: [] });
    expect(names()).toEqual(['a']);
    expect(channel.of('PresenceAck').map((m) => [m.term, m.body.seq])).toEqual([[3, 10]]);
    expect(channel.of('PresenceSyncRequest').map((m) => m.term)).toEqual([4]);
    // The term's full list, whatever its seq, is taken, and its deltas follow on from it.
    channel.deliver('PresenceFull', 4, {
      seq: 11,
      chunk: 0,
      chunks: 1,
      records: [
        ['b', '10.0.0.2:1', 0],
        ['c', '10.0.0.3:1', 0],
      ],
    });
    channel.deliver('PresenceDelta', 4, { seq: 12, online: [['d', '10.0.0.4:1', 0]], offline: [] });
    expect(names()).toEqual(['b', 'c', 'd']);
    expect(channel.of('PresenceAck').map((m) => [m.term, m.body.seq])).toEqual([
      [3, 10],
      [4, 11],
      [4, 12],
    ]);
  });

  it('asks for everything when a delta is missing, and once only while it waits', () => {
    channel.deliver('PresenceFull', 3, { seq: 1, chunk: 0, chunks: 1, records: [] });
    channel.deliver('PresenceDelta', 3, { seq: 3, online: [['x', '10.0.0.9:1', 0]], offline: [] });
    channel.deliver('PresenceDelta', 3, { seq: 4, online: [], offline: [] });
    expect(names()).toEqual([]);
    expect(channel.sent).toEqual([
      { to: A, type: 'PresenceAck', term: 3, body: { seq: 1, full: true } },
      { to: A, type: 'PresenceSyncRequest', term: 3, body: {} },
    ]);
  });

  it('ignores a stream from a node that is not its leader, or from an old term', () => {
    channel.deliver('PresenceFull', 2, {
      seq: 0,
      chunk: 0,
      chunks: 1,
      records: [['old', '10.0.0.1:1', 0]],
    });
    expect(names()).toEqual([]);
  });

  it('starts from the shadow list when it becomes leader, and sends it to the followers', () => {
    channel.deliver('PresenceFull', 3, {
      seq: 0,
      chunk: 0,
      chunks: 1,
      records: [['a', '10.0.0.1:1', 1000]],
    });
    clock.advance(500); // the old leader died and an election ran
    leadership.update({ role: 'leader', term: 4, leader: B, leaderApi: null });
    // It asks for the follower's copy first; its own, which replaces the follower's, goes out
    // once that copy is folded in.
    expect(channel.sent.slice(1)).toEqual([{ to: A, type: 'PresenceGather', term: 4, body: {} }]);
    channel.deliver('PresenceReport', 4, {
      chunk: 0,
      chunks: 1,
      known: true,
      syncAgeMs: 500,
      records: [],
    });
    // Timeouts pushed back by the 500 ms without a leader, and by the two sync intervals a
    // refresh may not have reached anyone: 1000 + 500 - 500 - 100.
    expect(presence.list().map((c) => [c.username, c.last_seen_ms_ago])).toEqual([['a', 900]]);
    expect(channel.sent.slice(2)).toEqual([
      {
        to: A,
        type: 'PresenceFull',
        term: 4,
        body: { seq: 0, chunk: 0, chunks: 1, records: [['a', '10.0.0.1:1', 900]] },
      },
    ]);
  });

  it('reports its copy to a node that gathers as the new leader, once in its term', () => {
    channel.deliver('PresenceFull', 3, {
      seq: 0,
      chunk: 0,
      chunks: 1,
      records: [['a', '10.0.0.1:1', 100]],
    });
    clock.advance(20);
    channel.deliver('PresenceGather', 4, {});
    // Not in term 4 yet: its old leader may still count it a holder of a batch. It answers
    // once it is.
    expect(channel.sent.slice(1)).toEqual([]);
    leadership.update({ role: 'follower', term: 4, leader: A, leaderApi: null });
    expect(channel.sent.slice(1)).toEqual([
      {
        to: A,
        type: 'PresenceReport',
        term: 4,
        body: {
          chunk: 0,
          chunks: 1,
          known: true,
          syncAgeMs: 20,
          records: [['a', '10.0.0.1:1', 120]],
        },
      },
    ]);
    // A gather from an older term is stale: nobody answers it.
    channel.deliver('PresenceGather', 2, {});
    expect(channel.sent).toHaveLength(2);
  });
});

describe('PresenceReplicator on a new leader', () => {
  let clock: FakeClock;
  let presence: PresenceService;
  let leadership: LeadershipState;
  let channel: FakeChannel;
  let replicator: PresenceReplicator;

  beforeEach(() => {
    ({ clock, presence, leadership, channel, replicator } = makeNode());
  });
  afterEach(() => replicator.onModuleDestroy());

  const online = () => presence.list().map((c) => [c.username, c.addr, c.last_seen_ms_ago]);

  it('a restarted node that wins learns who is online from its followers before /discover answers', async () => {
    // Fresh from a restart: it holds nobody.
    leadership.update({ role: 'leader', term: 7, leader: B, leaderApi: null });
    expect(channel.sent[0]).toEqual({ to: A, type: 'PresenceGather', term: 7, body: {} });
    const waiting = replicator.gathering;
    expect(waiting).not.toBeNull();
    // No deltas and no full list while it gathers, even if a follower asks; only the ask again.
    tick(replicator);
    channel.deliver('PresenceSyncRequest', 7, {});
    expect(channel.sent.map((m) => m.type)).toEqual(['PresenceGather', 'PresenceGather']);
    channel.deliver('PresenceReport', 7, {
      chunk: 0,
      chunks: 2,
      known: true,
      records: [['a', '10.0.0.1:1', 300]],
    });
    expect(online()).toEqual([]); // not before every chunk is in
    channel.deliver('PresenceReport', 7, {
      chunk: 1,
      chunks: 2,
      known: true,
      records: [['b', '10.0.0.2:1', 40]],
    });
    await waiting;
    expect(replicator.gathering).toBeNull();
    // Ages read two sync intervals younger: a refresh may not have reached the follower.
    expect(online()).toEqual([
      ['a', '10.0.0.1:1', 200],
      ['b', '10.0.0.2:1', 0],
    ]);
    // Only now does its list go out, with what it learned: nothing of the follower's is wiped.
    expect(channel.sent.slice(2)).toEqual([
      {
        to: A,
        type: 'PresenceFull',
        term: 7,
        body: {
          seq: 0,
          chunk: 0,
          chunks: 1,
          records: [
            ['a', '10.0.0.1:1', 200],
            ['b', '10.0.0.2:1', 0],
          ],
        },
      },
    ]);
  });

  it('keeps the fresher heartbeat of the two copies, and ignores reports of another term', async () => {
    presence.heartbeat('a', '10.0.0.1:1');
    clock.advance(1000);
    leadership.update({ role: 'leader', term: 8, leader: B, leaderApi: null });
    const waiting = replicator.gathering;
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    channel.deliver('PresenceReport', 7, {
      chunk: 0,
      chunks: 1,
      known: true,
      records: [['stale', '10.0.0.9:1', 0]],
    });
    channel.deliver('PresenceReport', 8, {
      chunk: 0,
      chunks: 1,
      known: true,
      records: [
        ['a', '10.0.0.1:1', 5000], // older than its own: kept as it is
        ['c', '10.0.0.3:1', 400],
        ['gone', '10.0.0.4:1', 30_100], // timed out already, even forgiven two sync intervals
      ],
    });
    await waiting;
    expect(online()).toEqual([
      ['a', '10.0.0.1:1', 900],
      ['c', '10.0.0.3:1', 300],
    ]);
    // Only 'c' was news: 'a' it knew, fresher than the copy.
    expect(log).toHaveBeenCalledWith(
      "leading term 8 with 2 clients online from gathering (every follower answered), 1 of them from followers' copies (timeouts pushed back 100 ms for the time without a leader)",
    );
    log.mockRestore();
  });

  it('gives up waiting after a few sync intervals when a follower does not answer', async () => {
    leadership.update({ role: 'leader', term: 9, leader: B, leaderApi: null });
    const waiting = replicator.gathering;
    expect(waiting).not.toBeNull();
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    await waiting;
    expect(replicator.gathering).toBeNull();
    expect(log).toHaveBeenCalledWith(
      `leading term 9 with 0 clients online from gathering (no majority of copies within 250 ms; not waiting for ${A}) (timeouts pushed back 100 ms for the time without a leader)`,
    );
    log.mockRestore();
  });
});

/** Node B leading term 5 of [A, B, C], past its gathering, with both followers sent the full list. */
function leaderOfThree() {
  const node = makeNode([A, B, C]);
  // The test ticks by hand: deltas go out when it says.
  node.scheduler.deleteTimeout('presence-sync');
  node.leadership.update({ role: 'leader', term: 5, leader: B, leaderApi: null });
  for (const from of [A, C]) {
    node.channel.deliver(
      'PresenceReport',
      5,
      { chunk: 0, chunks: 1, known: true, records: [] },
      from,
    );
  }
  expect(node.replicator.gathering).toBeNull();
  expect(node.channel.of('PresenceFull').map((m) => m.to)).toEqual([A, C]);
  node.channel.sent.length = 0;
  node.clock.advance(10);
  return node;
}

/** Whether a promise has settled (after letting pending callbacks run), and how. */
async function state(p: Promise<void> | null): Promise<'none' | 'pending' | 'held' | 'failed'> {
  if (p === null) return 'none';
  let s: 'pending' | 'held' | 'failed' = 'pending';
  p.then(
    () => (s = 'held'),
    () => (s = 'failed'),
  );
  await turn();
  return s;
}

describe('PresenceReplicator: a heartbeat is answered once a majority holds it', () => {
  let node: ReturnType<typeof leaderOfThree>;
  beforeEach(() => (node = leaderOfThree()));
  afterEach(() => node.replicator.onModuleDestroy());

  /** A heartbeat, and the millisecond it takes before anything else happens. */
  const beat = (name: string, addr = '10.0.0.1:1') => {
    const waiting = node.replicator.confirmation(node.presence.heartbeat(name, addr));
    node.clock.advance(1);
    return waiting;
  };

  it('a client coming online waits for a majority, and the delta carrying it goes at once', async () => {
    const { channel } = node;
    const waiting = beat('x');
    expect(await state(waiting)).toBe('pending');
    // Sent without waiting for the sync interval, to both followers.
    expect(channel.of('PresenceDelta')).toEqual(
      [A, C].map((to) => ({
        to,
        type: 'PresenceDelta',
        term: 5,
        body: { seq: 1, online: [['x', '10.0.0.1:1', 1]], offline: [] },
      })),
    );
    // The full list went out before x came online: holding it proves nothing about x.
    channel.deliver('PresenceAck', 5, { seq: 0, full: true }, A);
    expect(await state(waiting)).toBe('pending');
    channel.deliver('PresenceAck', 5, { seq: 1, full: false }, A);
    // This node and A are two of three.
    expect(await state(waiting)).toBe('held');
  });

  it('a refresh is answered at once while a majority holds a heartbeat of it younger than two sync intervals', async () => {
    const { channel, clock } = node;
    const ackLatest = () => {
      const seq = channel.of('PresenceDelta').at(-1)!.body.seq as number;
      channel.deliver('PresenceAck', 5, { seq, full: false }, C);
    };
    const first = beat('x');
    await turn();
    ackLatest();
    expect(await state(first)).toBe('held');
    clock.advance(60);
    expect(beat('x')).toBeNull();
    // Before a delta carries it, a majority does not hold that refresh: the next one waits.
    clock.advance(10);
    const unheld = beat('x');
    expect(await state(unheld)).toBe('pending');
    ackLatest();
    expect(await state(unheld)).toBe('held');
    // Held, but 150 ms later it is more than two sync intervals old: the refresh waits.
    clock.advance(150);
    const stale = beat('x');
    expect(await state(stale)).toBe('pending');
    ackLatest();
    expect(await state(stale)).toBe('held');
  });

  it('a client moving to another addr waits, as one coming online does', async () => {
    const first = beat('x');
    await turn();
    node.channel.deliver('PresenceAck', 5, { seq: 1, full: false }, A);
    expect(await state(first)).toBe('held');
    expect(await state(beat('x', '10.0.0.2:1'))).toBe('pending');
  });

  it('heartbeats waiting at once share one delta, and the next waits for it to be held', async () => {
    const { channel } = node;
    const waits = ['x', 'y', 'z'].map((name) => beat(name));
    await turn();
    expect(channel.of('PresenceDelta').map((m) => m.to)).toEqual([A, C]);
    const later = beat('w');
    await turn();
    // One round at a time: w goes with the next delta, once this one is held.
    expect(channel.of('PresenceDelta')).toHaveLength(2);
    channel.deliver('PresenceAck', 5, { seq: 1, full: false }, A);
    expect(await Promise.all(waits.map(state))).toEqual(['held', 'held', 'held']);
    expect(channel.of('PresenceDelta').at(-1)!.body).toEqual({
      seq: 2,
      online: [['w', '10.0.0.1:1', 1]],
      offline: [],
    });
    expect(await state(later)).toBe('pending');
  });

  it('fails a waiting heartbeat with a 503 when this node stops leading', async () => {
    const waiting = beat('x');
    const failed = expect(waiting).rejects.toBeInstanceOf(LeaseNotHeldError);
    node.leadership.update({ role: 'follower', term: 6, leader: A, leaderApi: null });
    await failed;
  });

  it('fails a heartbeat that waited two election timeouts', async () => {
    const waiting = beat('x');
    const failed = expect(waiting).rejects.toBeInstanceOf(LeaseNotHeldError);
    node.clock.advance(601);
    tick(node.replicator);
    await failed;
  });

  it('counts a follower that asked for the full list as holding nothing until it acknowledges it', async () => {
    const { channel } = node;
    channel.deliver('PresenceAck', 5, { seq: 0, full: true }, A);
    channel.deliver('PresenceSyncRequest', 5, {}, A); // A restarted
    const waiting = beat('x');
    await turn();
    channel.deliver('PresenceAck', 5, { seq: 0, full: true }, A); // the old full list: no credit
    expect(await state(waiting)).toBe('pending');
    channel.deliver('PresenceAck', 5, { seq: 1, full: false }, C);
    expect(await state(waiting)).toBe('held');
  });
});

describe('PresenceReplicator: the regular delta rides on the leader’s AppendEntries', () => {
  it('goes out as AppendEntries leave, at most once per 3/4 of a heartbeat interval', () => {
    const node = leaderOfThree();
    node.leadership.appendsSent();
    expect(node.channel.of('PresenceDelta').map((m) => m.to)).toEqual([A, C]);
    node.clock.advance(37); // AppendEntries carrying entries, between two heartbeats
    node.leadership.appendsSent();
    expect(node.channel.of('PresenceDelta')).toHaveLength(2);
    node.clock.advance(1); // 38 ms: 3/4 of the 50 ms interval since the last delta
    node.leadership.appendsSent();
    expect(node.channel.of('PresenceDelta').map((m) => m.body.seq)).toEqual([1, 1, 2, 2]);
  });

  it('carries each follower its own held batches, the rest of the delta the same for both', () => {
    const node = leaderOfThree();
    node.replicator.carryOnDeltas((peer, term) => (peer === C && term === 5 ? [4, 9] : null));
    node.presence.heartbeat('x', '10.0.0.1:1');
    node.leadership.appendsSent();
    const [toA, toC] = node.channel.of('PresenceDelta');
    expect([toA.to, toC.to]).toEqual([A, C]);
    expect(toA.body).toEqual({ seq: 1, online: [['x', '10.0.0.1:1', 0]], offline: [] });
    expect(toC.body).toEqual({ ...toA.body, held: [4, 9] });
  });

  it('goes out on its own timer when no AppendEntries leave', async () => {
    const node = makeNode([A, B, C]);
    try {
      node.leadership.update({ role: 'leader', term: 5, leader: B, leaderApi: null });
      for (const from of [A, C]) {
        const report = { chunk: 0, chunks: 1, known: true, records: [] };
        node.channel.deliver('PresenceReport', 5, report, from);
      }
      node.clock.advance(100);
      await waitFor('two deltas to each follower', () => {
        node.clock.advance(10);
        return node.channel.of('PresenceDelta').length >= 4;
      });
      expect(
        node.channel
          .of('PresenceDelta')
          .map((m) => m.to)
          .slice(0, 4),
      ).toEqual([A, C, A, C]);
    } finally {
      node.replicator.onModuleDestroy();
    }
  });
});

describe('PresenceReplicator: the fallback timer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('fires once on a follower and sleeps, and wakes again when the node takes office', () => {
    const node = makeNode([A, B, C]);
    try {
      node.leadership.update({ role: 'follower', term: 5, leader: A, leaderApi: null });
      jest.advanceTimersByTime(63); // 1.25 heartbeat intervals: it fired
      // A follower sends no delta: nothing is left to wake it (it used to, 16 times a second).
      expect(jest.getTimerCount()).toBe(0);
      node.leadership.update({ role: 'leader', term: 6, leader: B, leaderApi: null });
      for (const from of [A, C]) {
        const report = { chunk: 0, chunks: 1, known: true, records: [] };
        node.channel.deliver('PresenceReport', 6, report, from);
      }
      node.channel.sent.length = 0;
      jest.advanceTimersByTime(63 * 2); // no AppendEntries leave: the fallback sends the deltas
      expect(node.channel.of('PresenceDelta').map((m) => m.to)).toEqual([A, C, A, C]);
    } finally {
      node.replicator.onModuleDestroy();
    }
  });
});

describe('PresenceReplicator: handing over', () => {
  it('a leader sends its last changes, marked final, as it hands over', () => {
    const node = leaderOfThree();
    node.presence.heartbeat('x', '10.0.0.1:1');
    node.leadership.handingOver(A);
    expect(node.channel.of('PresenceDelta')).toEqual(
      [A, C].map((to) => ({
        to,
        type: 'PresenceDelta',
        term: 5,
        body: { seq: 1, online: [['x', '10.0.0.1:1', 0]], offline: [], final: true },
      })),
    );
    node.replicator.onModuleDestroy();
  });

  const inStepReport = {
    chunk: 0,
    chunks: 1,
    known: true,
    syncAgeMs: 0,
    inStep: true,
    records: [],
  };

  const followerWithFinal = () => {
    const node = makeNode([A, B, C]);
    node.leadership.update({ role: 'follower', term: 3, leader: A, leaderApi: null });
    node.channel.deliver('PresenceFull', 3, { seq: 0, chunk: 0, chunks: 1, records: [] });
    node.channel.deliver('PresenceDelta', 3, {
      seq: 1,
      online: [['x', '10.0.0.1:1', 0]],
      offline: [],
      final: true,
    });
    node.channel.sent.length = 0;
    return node;
  };

  it('a follower holding the final delta that wins the next term names that list as it gathers', async () => {
    const node = followerWithFinal();
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    node.leadership.update({ role: 'leader', term: 4, leader: B, leaderApi: null });
    expect(node.channel.of('PresenceGather')).toEqual(
      [A, C].map((to) => ({
        to,
        type: 'PresenceGather',
        term: 4,
        body: { handedTerm: 3, handedSeq: 1 },
      })),
    );
    // C holds just that list: its word and this node's own copy are a majority's copies.
    node.channel.deliver('PresenceReport', 4, inStepReport, C);
    await node.replicator.gathering;
    expect(node.replicator.gathering).toBeNull();
    expect(onlineNames(node)).toEqual(['x']);
    expect(node.channel.of('PresenceFull').map((m) => m.to)).toEqual([C]);
    expect(log).toHaveBeenCalledWith(
      `leading term 4 with 1 clients online from the list handed over by ${A} and gathering ` +
        `(a majority is in; not waiting for ${A}; 1 in step with that list), 0 of them from ` +
        `followers' copies (timeouts pushed back 100 ms for the time without a leader)`,
    );
    log.mockRestore();
    node.replicator.onModuleDestroy();
  });

  it('a leader that abandoned its handover and leads again calls the list its own, not handed over by itself', async () => {
    const node = leaderOfThree();
    node.presence.heartbeat('x', '10.0.0.1:1');
    node.leadership.handingOver(A);
    // The transfer fails (A never campaigns): B runs again and wins the next term itself.
    node.leadership.update({ role: 'candidate', term: 6, leader: null, leaderApi: null });
    node.channel.sent.length = 0;
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    node.leadership.update({ role: 'leader', term: 6, leader: B, leaderApi: null });
    expect(node.channel.of('PresenceGather').map((m) => m.body)).toEqual([
      { handedTerm: 5, handedSeq: 1 },
      { handedTerm: 5, handedSeq: 1 },
    ]);
    node.channel.deliver('PresenceReport', 6, inStepReport, C);
    await node.replicator.gathering;
    expect(onlineNames(node)).toEqual(['x']);
    expect(log).toHaveBeenCalledWith(
      expect.stringMatching(
        /^leading term 6 with 1 clients online from its own list, handed over in term 5 and taken back, and gathering \(/,
      ),
    );
    log.mockRestore();
    node.replicator.onModuleDestroy();
  });

  it('takes no word of being in step from a follower it asked for its copy', () => {
    // B holds a whole copy, but no handed-over list: with C's copy it would be a majority's.
    const node = makeNode([A, B, C]);
    node.leadership.update({ role: 'follower', term: 3, leader: A, leaderApi: null });
    node.channel.deliver('PresenceFull', 3, { seq: 0, chunk: 0, chunks: 1, records: [] });
    node.leadership.update({ role: 'leader', term: 4, leader: B, leaderApi: null });
    expect(node.channel.of('PresenceGather').map((m) => m.body)).toEqual([{}, {}]);
    node.channel.deliver('PresenceReport', 4, inStepReport, C);
    expect(node.replicator.gathering).not.toBeNull();
    // C is still awaited: the next tick asks it again, as it was asked.
    node.channel.sent.length = 0;
    tick(node.replicator);
    expect(node.channel.of('PresenceGather')).toContainEqual({
      to: C,
      type: 'PresenceGather',
      term: 4,
      body: {},
    });
    node.replicator.onModuleDestroy();
  });

  describe('a follower asked by a leader that names the list handed over', () => {
    let node: ReturnType<typeof makeNode>;
    beforeEach(() => (node = followerWithFinal()));
    afterEach(() => node.replicator.onModuleDestroy());

    const askNaming = (handedSeq = 1, handedTerm = 3) => {
      node.channel.sent.length = 0;
      node.leadership.update({ role: 'follower', term: 4, leader: C, leaderApi: null });
      node.channel.deliver('PresenceGather', 4, { handedTerm, handedSeq }, C);
      return node.channel.of('PresenceReport').map((m) => m.body);
    };
    const wholeCopy = (records: unknown[]) => [
      { chunk: 0, chunks: 1, known: true, syncAgeMs: 0, records },
    ];

    it('holding just that list, says so in a word', () => {
      expect(askNaming()).toEqual([inStepReport]);
    });

    it('sends its copy when the ask names another list', () => {
      expect(askNaming(0)).toEqual(wholeCopy([['x', '10.0.0.1:1', 0]]));
      expect(askNaming(1, 2)).toEqual(wholeCopy([['x', '10.0.0.1:1', 0]]));
    });

    it('sends its copy, vouching for nothing, when the list handed over was partial', () => {
      node.channel.deliver('PresenceFull', 3, { seq: 1, chunk: 0, chunks: 1, records: [] });
      node.channel.deliver('PresenceDelta', 3, {
        seq: 2,
        online: [],
        offline: [],
        final: true,
        partial: true,
      });
      expect(askNaming(2)).toEqual([
        { chunk: 0, chunks: 1, known: false, syncAgeMs: 0, records: [] },
      ]);
    });

    it('sends its copy when a delta came after the final one: the leader led on', () => {
      node.channel.deliver('PresenceDelta', 3, {
        seq: 2,
        online: [['bob', '10.0.0.2:1', 0]],
        offline: [],
      });
      expect(askNaming()).toEqual(
        wholeCopy([
          ['x', '10.0.0.1:1', 0],
          ['bob', '10.0.0.2:1', 0],
        ]),
      );
    });

    it('stays in step through later deltas that bring no heartbeat (the leader’s regular ones)', () => {
      node.channel.deliver('PresenceDelta', 3, { seq: 2, online: [], offline: [] });
      node.channel.deliver('PresenceDelta', 3, { seq: 3, online: [], offline: ['x'] });
      expect(askNaming()).toEqual([inStepReport]);
    });

    it('sends its copy when a later delta brings a fresher heartbeat of a client it holds', () => {
      node.clock.advance(500);
      node.channel.deliver('PresenceDelta', 3, {
        seq: 2,
        online: [['x', '10.0.0.1:1', 0]],
        offline: [],
      });
      expect(askNaming()).toEqual(wholeCopy([['x', '10.0.0.1:1', 0]]));
    });

    it('sends its copy when a full list came after the final delta, even of the same seq', () => {
      const records = [
        ['x', '10.0.0.1:1', 0],
        ['bob', '10.0.0.2:1', 0],
      ];
      node.channel.deliver('PresenceFull', 3, { seq: 1, chunk: 0, chunks: 1, records });
      expect(askNaming()).toEqual(wholeCopy(records));
    });

    it('sends its copy when it kept a batch it was counted a holder of', () => {
      node.replicator.keepHeld([['bob', '10.0.0.2:1']]);
      expect(askNaming()).toEqual(
        wholeCopy([
          ['x', '10.0.0.1:1', 0],
          ['bob', '10.0.0.2:1', 0],
        ]),
      );
    });
  });

  it('gathers all the same when a term went by in between: another leader may have served', () => {
    const node = followerWithFinal();
    node.leadership.update({ role: 'leader', term: 5, leader: B, leaderApi: null });
    expect(node.replicator.gathering).not.toBeNull();
    expect(node.channel.of('PresenceGather').map((m) => m.to)).toEqual([A, C]);
    node.replicator.onModuleDestroy();
  });
});

/**
 * Node B wins term 57 of [A, B, C] fresh from a restart, as C is (neither can vouch for any
 * client), while A, the one node still holding the online list, is out of reach.
 */
async function leaderMissingACopy() {
  const node = makeNode([A, B, C]);
  node.scheduler.deleteTimeout('presence-sync'); // the test ticks by hand
  node.channel.down.add(A);
  node.leadership.update({ role: 'leader', term: 57, leader: B, leaderApi: null });
  const restarted = { chunk: 0, chunks: 1, known: false, records: [] };
  node.channel.deliver('PresenceReport', 57, restarted, C);
  await node.replicator.gathering; // stops waiting after its bound: heartbeats must go on
  return node;
}

describe('PresenceReplicator: a copy out of reach during the gathering', () => {
  let node: Awaited<ReturnType<typeof leaderMissingACopy>>;
  let log: jest.SpyInstance;
  beforeEach(async () => {
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    node = await leaderMissingACopy();
  });
  afterEach(() => {
    node.replicator.onModuleDestroy();
    jest.restoreAllMocks();
  });
  const names = () => node.presence.list().map((c) => [c.username, c.last_seen_ms_ago]);

  it('every follower that answered is no majority of copies: the list is partial, and says so', () => {
    expect(node.replicator.missingCopies).toEqual([A]);
    // C gets the list, so heartbeats can be held by a majority; it is marked partial.
    const full = node.channel.of('PresenceFull');
    expect(full.map((m) => [m.to, m.body.partial])).toEqual([[C, true]]);
    tick(node.replicator);
    expect(node.channel.of('PresenceDelta').map((m) => [m.to, m.body.partial])).toEqual([
      [C, true],
    ]);
  });

  it('asks the node back in reach for its copy instead of wiping it, merges it, then sends the list', () => {
    node.channel.down.delete(A);
    node.channel.sent.length = 0;
    // A sees the new stream and asks for everything: it is asked for its copy first.
    node.channel.deliver('PresenceSyncRequest', 57, {}, A);
    expect(node.channel.sent.map((m) => [m.to, m.type])).toEqual([[A, 'PresenceGather']]);
    const copy = [['x', '10.0.0.1:1', 500]];
    node.channel.deliver(
      'PresenceReport',
      57,
      { chunk: 0, chunks: 1, known: true, records: copy },
      A,
    );
    expect(node.replicator.missingCopies).toEqual([]);
    // Forgiven the refresh slack (two sync intervals), like every copy of the gathering.
    expect(names()).toEqual([['x', 400]]);
    const full = node.channel.of('PresenceFull');
    expect(full.map((m) => [m.to, m.body.records, m.body.partial])).toEqual([
      [A, [['x', '10.0.0.1:1', 400]], undefined],
    ]);
    // The next delta carries x to C, and the stream is whole again.
    tick(node.replicator);
    const deltas = node.channel.of('PresenceDelta');
    expect(deltas.map((m) => [m.to, m.body.online, m.body.partial])).toEqual([
      [A, [['x', '10.0.0.1:1', 400]], undefined],
      [C, [['x', '10.0.0.1:1', 400]], undefined],
    ]);
  });

  it('asks again every sync interval while the copy is out of reach', () => {
    node.channel.down.delete(A);
    node.channel.sent.length = 0;
    tick(node.replicator);
    expect(node.channel.of('PresenceGather').map((m) => m.to)).toEqual([A]);
  });

  it('takes its list as whole once anything a missing copy could hold has timed out', () => {
    node.clock.advance(29_999);
    tick(node.replicator);
    expect(node.replicator.missingCopies).toEqual([A]);
    node.clock.advance(1);
    tick(node.replicator);
    expect(node.replicator.missingCopies).toEqual([]);
    expect(log).toHaveBeenCalledWith(
      `term 57: the online list is whole again (every client the copies of ${A} could hold has timed out)`,
    );
  });
});

describe('PresenceReplicator: one whole copy in, another out of reach', () => {
  it('serves from the whole copy at once, and still merges the missing one before wiping it', async () => {
    const node = makeNode([A, B, C]);
    node.scheduler.deleteTimeout('presence-sync');
    node.channel.down.add(A); // the old leader, killed
    node.leadership.update({ role: 'leader', term: 9, leader: B, leaderApi: null });
    // C never restarted: its copy came whole from the old leader (B restarted, so its own did not).
    const copy = { chunk: 0, chunks: 1, known: true, records: [['c', '10.0.0.3:1', 100]] };
    node.channel.deliver('PresenceReport', 9, copy, C);
    await node.replicator.gathering;
    expect(node.replicator.missingCopies).toEqual([]); // /discover answers
    expect(node.channel.of('PresenceFull').map((m) => [m.to, m.body.partial])).toEqual([
      [C, undefined],
    ]);
    // A comes back: its copy is taken in before the list replaces it.
    node.channel.down.delete(A);
    node.channel.sent.length = 0;
    node.channel.deliver('PresenceSyncRequest', 9, {}, A);
    expect(node.channel.sent.map((m) => [m.to, m.type])).toEqual([[A, 'PresenceGather']]);
    const late = { chunk: 0, chunks: 1, known: true, records: [['a', '10.0.0.1:1', 100]] };
    node.channel.deliver('PresenceReport', 9, late, A);
    expect(onlineNames(node)).toEqual(['a', 'c']);
    expect(node.channel.of('PresenceFull').map((m) => m.to)).toEqual([A]);
    node.replicator.onModuleDestroy();
  });
});

describe('PresenceReplicator: a follower of a partial list', () => {
  it('vouches for nothing when gathered, and serves no follower read, until the list is whole', () => {
    const node = makeNode([A, B, C]);
    node.leadership.update({ role: 'follower', term: 3, leader: A, leaderApi: null });
    const full = { seq: 1, chunk: 0, chunks: 1, records: [['y', '10.0.0.2:1', 0]] };
    node.channel.deliver('PresenceFull', 3, { ...full, partial: true });
    expect(node.replicator.followReadLagMs()).toBeNull();
    expect(node.replicator.followLagMs()).toBe(0); // the leader is in reach all the same
    // The next delta echoes the full list's acknowledgement: the copy is whole, and dated.
    node.channel.deliver('PresenceDelta', 3, { seq: 2, online: [], offline: [] });
    expect(node.replicator.followReadLagMs()).toBeNull();
    node.channel.deliver('PresenceDelta', 3, {
      seq: 3,
      online: [],
      offline: [],
      ackSeq: 1,
      ackAgoMs: 0,
    });
    expect(node.replicator.followReadLagMs()).toBe(0);
    node.channel.deliver('PresenceDelta', 3, { seq: 4, online: [], offline: [], partial: true });
    node.leadership.update({ role: 'follower', term: 4, leader: C, leaderApi: null });
    node.channel.sent.length = 0;
    node.channel.deliver('PresenceGather', 4, {}, C);
    expect(node.channel.of('PresenceReport').map((m) => m.body.known)).toEqual([false]);
    node.replicator.onModuleDestroy();
  });
});

describe('PresenceReplicator: how old a follower says its copy is', () => {
  const delta = (seq: number) => ({ seq, online: [], offline: [] });

  it('serves no read from a leader that echoes no acknowledgement (an older version)', () => {
    const node = makeNode([A, B, C]);
    node.leadership.update({ role: 'follower', term: 3, leader: A, leaderApi: null });
    node.channel.deliver('PresenceFull', 3, { seq: 1, chunk: 0, chunks: 1, records: [] });
    node.clock.advance(40);
    node.channel.deliver('PresenceDelta', 3, delta(2));
    expect(node.replicator.followReadLagMs()).toBeNull();
    expect(node.replicator.followLagMs()).toBe(0); // in reach for follower heartbeats all the same
    node.replicator.onModuleDestroy();
  });

  it('dates its copy by the acknowledgement echoed: when it sent it, plus how long the leader held it', () => {
    const node = makeNode([A, B, C]);
    node.leadership.update({ role: 'follower', term: 3, leader: A, leaderApi: null });
    node.channel.deliver('PresenceFull', 3, { seq: 1, chunk: 0, chunks: 1, records: [] });
    const fullAckedAt = node.clock.monotonicMs();
    node.clock.advance(300); // the delta waited in this node's socket
    node.channel.deliver('PresenceDelta', 3, { ...delta(2), ackSeq: 1, ackAgoMs: 40 });
    // 40 ms on the leader's clock count as 34 here: 15% is allowed for the clocks' rates.
    expect(node.replicator.followReadLagMs()).toBe(node.clock.monotonicMs() - (fullAckedAt + 34));
    // An echo of an acknowledgement it never sent (its process before a restart) dates nothing.
    node.clock.advance(10);
    node.channel.deliver('PresenceDelta', 3, { ...delta(3), ackSeq: 99, ackAgoMs: 0 });
    expect(node.replicator.followReadLagMs()).toBe(276);
    // A repeated echo, no newer acknowledgement in, never makes the copy older.
    node.channel.deliver('PresenceDelta', 3, { ...delta(4), ackSeq: 1, ackAgoMs: 0 });
    expect(node.replicator.followReadLagMs()).toBe(276);
    node.replicator.onModuleDestroy();
  });

  it("dates nothing by a new leader's stream until that leader echoes an acknowledgement", () => {
    const node = makeNode([A, B, C]);
    node.leadership.update({ role: 'follower', term: 3, leader: A, leaderApi: null });
    node.channel.deliver('PresenceFull', 3, { seq: 1, chunk: 0, chunks: 1, records: [] });
    node.channel.deliver('PresenceDelta', 3, { ...delta(2), ackSeq: 1, ackAgoMs: 0 });
    expect(node.replicator.followReadLagMs()).toBe(0);
    node.leadership.update({ role: 'follower', term: 4, leader: C, leaderApi: null });
    expect(node.replicator.followReadLagMs()).toBeNull();
    node.channel.deliver('PresenceFull', 4, { seq: 1, chunk: 0, chunks: 1, records: [] }, C);
    expect(node.replicator.followReadLagMs()).toBeNull();
    node.channel.deliver('PresenceDelta', 4, { ...delta(2), ackSeq: 1, ackAgoMs: 0 }, C);
    expect(node.replicator.followReadLagMs()).toBe(0);
    node.replicator.onModuleDestroy();
  });
});

describe('PresenceReplicator: gathering in a cluster of five', () => {
  const FIVE = [A, B, C, D, E];
  const report = (node: ReturnType<typeof makeNode>, term: number, from: string) =>
    node.channel.deliver(
      'PresenceReport',
      term,
      { chunk: 0, chunks: 1, known: true, records: [] },
      from,
    );

  it('ends once a majority of copies is in, its own included: slow followers delay nothing', () => {
    const node = makeNode(FIVE);
    node.leadership.update({ role: 'follower', term: 1, leader: A, leaderApi: null });
    node.channel.deliver('PresenceFull', 1, { seq: 0, chunk: 0, chunks: 1, records: [] });
    node.leadership.update({ role: 'leader', term: 2, leader: B, leaderApi: null });
    report(node, 2, C);
    expect(node.replicator.gathering).not.toBeNull();
    report(node, 2, D);
    expect(node.replicator.gathering).toBeNull();
    node.replicator.onModuleDestroy();
  });

  it('asks again every sync interval whoever has not answered, and takes a repeated answer whole', () => {
    const node = makeNode(FIVE);
    node.leadership.update({ role: 'leader', term: 2, leader: B, leaderApi: null });
    const part = (from: string, chunk: number, name: string) =>
      node.channel.deliver(
        'PresenceReport',
        2,
        { chunk, chunks: 2, known: true, records: [[name, '10.0.0.1:1', 0]] },
        from,
      );
    part(C, 0, 'c0'); // its second chunk is lost
    report(node, 2, D);
    node.channel.sent.length = 0;
    tick(node.replicator);
    expect(node.channel.of('PresenceGather').map((m) => m.to)).toEqual([A, C, E]);
    part(C, 0, 'c0');
    part(C, 1, 'c1');
    report(node, 2, E);
    expect(node.replicator.gathering).toBeNull();
    expect(onlineNames(node)).toEqual(['c0', 'c1']);
    node.replicator.onModuleDestroy();
  });

  it('a leader with no copy of its own (it restarted) needs three followers’ copies', () => {
    const node = makeNode(FIVE);
    node.leadership.update({ role: 'leader', term: 2, leader: B, leaderApi: null });
    report(node, 2, C);
    report(node, 2, D);
    expect(node.replicator.gathering).not.toBeNull();
    node.channel.deliver(
      'PresenceReport',
      2,
      { chunk: 0, chunks: 1, known: false, records: [] },
      E,
    );
    expect(node.replicator.gathering).not.toBeNull(); // E restarted too: its copy proves nothing
    report(node, 2, A);
    expect(node.replicator.gathering).toBeNull();
    node.replicator.onModuleDestroy();
  });
});
