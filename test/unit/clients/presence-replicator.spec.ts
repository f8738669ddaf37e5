import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PresenceReplicator } from '../../../src/clients/presence-replicator';
import { PresenceService } from '../../../src/clients/presence.service';
import type { ClusterConfig } from '../../../src/config/cluster-config';
import { LeadershipState } from '../../../src/election/leadership-state';
import type { PeerChannel } from '../../../src/election/peer-channel';
import type { Envelope } from '../../../src/election/transport/envelope';
import { FakeClock } from '../../support/fake-clock';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
const config = {
  thisNode: B,
  peers: [A, B],
  clientTimeoutMs: 30_000,
  heartbeatIntervalMs: 50,
  electionTimeoutMinMs: 300,
} as ClusterConfig;

/** Routes frames straight to handlers and records what is sent. */
class FakeChannel {
  readonly sent: { to: string; type: string; term: number; body: Record<string, unknown> }[] = [];
  readonly routes = new Map<string, (e: Envelope) => void>();
  readonly others = [A];
  on(type: string, _validate: unknown, handle: (e: Envelope) => void) {
    this.routes.set(type, handle);
  }
  send(to: string, type: string, term: number, body: Record<string, unknown>) {
    this.sent.push({ to, type, term, body });
    return true;
  }
  deliver(type: string, term: number, body: Record<string, unknown>) {
    this.routes.get(type)!({ ...body, type, from: A, to: B, term, cpu: 0, api: 'x' });
  }
}

/** A replicator on node B, with its presence, leadership and a channel to A, all in memory. */
function makeNode() {
  const clock = new FakeClock();
  const scheduler = new SchedulerRegistry();
  const presence = new PresenceService(config, clock, scheduler);
  const leadership = new LeadershipState();
  const channel = new FakeChannel();
  const replicator = new PresenceReplicator(
    config,
    clock,
    leadership,
    presence,
    channel as unknown as PeerChannel,
    scheduler,
  );
  replicator.onModuleInit();
  return { clock, presence, leadership, channel, replicator };
}

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
    expect(channel.sent).toEqual([]);
  });

  it('asks for everything when a delta is missing, and once only while it waits', () => {
    channel.deliver('PresenceFull', 3, { seq: 1, chunk: 0, chunks: 1, records: [] });
    channel.deliver('PresenceDelta', 3, { seq: 3, online: [['x', '10.0.0.9:1', 0]], offline: [] });
    channel.deliver('PresenceDelta', 3, { seq: 4, online: [], offline: [] });
    expect(names()).toEqual([]);
    expect(channel.sent).toEqual([{ to: A, type: 'PresenceSyncRequest', term: 3, body: {} }]);
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
      records: [['a', '10.0.0.1:1', 100]],
    });
    clock.advance(500); // the old leader died and an election ran
    leadership.update({ role: 'leader', term: 4, leader: B, leaderApi: null });
    // Timeouts pushed back by the 500 ms without a leader: age reads as it was at the last sync.
    expect(presence.list().map((c) => [c.username, c.last_seen_ms_ago])).toEqual([['a', 100]]);
    // It asks for the follower's copy first; its own, which replaces the follower's, goes out
    // once that copy is folded in.
    expect(channel.sent).toEqual([{ to: A, type: 'PresenceGather', term: 4, body: {} }]);
    channel.deliver('PresenceReport', 4, { chunk: 0, chunks: 1, known: true, records: [] });
    expect(channel.sent.slice(1)).toEqual([
      {
        to: A,
        type: 'PresenceFull',
        term: 4,
        body: { seq: 0, chunk: 0, chunks: 1, records: [['a', '10.0.0.1:1', 100]] },
      },
    ]);
  });

  it('reports its copy to a node that gathers as the new leader', () => {
    channel.deliver('PresenceFull', 3, {
      seq: 0,
      chunk: 0,
      chunks: 1,
      records: [['a', '10.0.0.1:1', 100]],
    });
    clock.advance(20);
    channel.deliver('PresenceGather', 4, {});
    expect(channel.sent).toEqual([
      {
        to: A,
        type: 'PresenceReport',
        term: 4,
        body: { chunk: 0, chunks: 1, known: true, records: [['a', '10.0.0.1:1', 120]] },
      },
    ]);
    // A gather from an older term is stale: nobody answers it.
    channel.deliver('PresenceGather', 2, {});
    expect(channel.sent).toHaveLength(1);
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
    // No deltas and no full list while it gathers, even if a follower asks.
    (replicator as unknown as { tick: () => void }).tick();
    channel.deliver('PresenceSyncRequest', 7, {});
    expect(channel.sent).toHaveLength(1);
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
    expect(online()).toEqual([
      ['a', '10.0.0.1:1', 300],
      ['b', '10.0.0.2:1', 40],
    ]);
    // Only now does its list go out, with what it learned: nothing of the follower's is wiped.
    expect(channel.sent.slice(1)).toEqual([
      {
        to: A,
        type: 'PresenceFull',
        term: 7,
        body: {
          seq: 0,
          chunk: 0,
          chunks: 1,
          records: [
            ['a', '10.0.0.1:1', 300],
            ['b', '10.0.0.2:1', 40],
          ],
        },
      },
    ]);
  });

  it('keeps the fresher heartbeat of the two copies, and ignores reports of another term', async () => {
    presence.heartbeat('a', '10.0.0.1:1');
    clock.advance(100);
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
        ['c', '10.0.0.3:1', 10],
        ['gone', '10.0.0.4:1', 30_000], // timed out already
      ],
    });
    await waiting;
    expect(online()).toEqual([
      ['a', '10.0.0.1:1', 100],
      ['c', '10.0.0.3:1', 10],
    ]);
    // Only 'c' was news: 'a' it knew, fresher than the copy.
    expect(log).toHaveBeenCalledWith(
      "term 8: followers' copies added 1 clients this node did not know (every follower answered)",
    );
    log.mockRestore();
  });

  it('gives up waiting after election_timeout_min_ms when a follower does not answer', async () => {
    leadership.update({ role: 'leader', term: 9, leader: B, leaderApi: null });
    const waiting = replicator.gathering;
    expect(waiting).not.toBeNull();
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    await waiting;
    expect(replicator.gathering).toBeNull();
    expect(log).toHaveBeenCalledWith(
      `term 9: followers' copies added 0 clients this node did not know (timed out); no answer from ${A}`,
    );
    log.mockRestore();
  });
});
