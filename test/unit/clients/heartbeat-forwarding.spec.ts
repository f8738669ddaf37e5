import { SchedulerRegistry } from '@nestjs/schedule';
import { ClientStats } from '../../../src/clients/client-stats';
import { ForwardedHeartbeats } from '../../../src/clients/forwarded-heartbeats';
import { HeartbeatForwarder } from '../../../src/clients/heartbeat-forwarder';
import { PresenceReplicator } from '../../../src/clients/presence-replicator';
import { PresenceService } from '../../../src/clients/presence.service';
import { LeaderOutOfReachError } from '../../../src/common/http/leadership-errors';
import type { ClusterConfig } from '../../../src/config/cluster-config';
import { LeadershipState } from '../../../src/election/leadership-state';
import type { PeerChannel, PeerFieldCheck } from '../../../src/election/peer-channel';
import type { Envelope } from '../../../src/election/transport/envelope';
import { FakeClock } from '../../support/fake-clock';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
const C = '127.0.0.1:7003';
const PEERS = [A, B, C];
const TIMEOUT_MIN = 300;

interface Frame {
  from: string;
  to: string;
  type: string;
  term: number;
  body: Record<string, unknown>;
}

/**
 * Three nodes' presence sync in memory: frames wait in one queue until the test delivers them,
 * and links can be cut. Each frame passes its type's check, as PeerChannel.dispatch does.
 */
class Network {
  readonly queue: Frame[] = [];
  /** Every frame ever sent, in order. */
  readonly sent: Frame[] = [];
  readonly cut = new Set<string>();
  /** Frames of these types are lost. */
  readonly lost = new Set<string>();
  readonly channels = new Map<string, NodeChannel>();
  deliverAll(): void {
    for (let i = 0; i < 1000 && this.queue.length > 0; i++) {
      const f = this.queue.shift()!;
      if (this.cut.has(f.from) || this.cut.has(f.to) || this.lost.has(f.type)) continue;
      this.channels.get(f.to)!.receive(f);
    }
  }
}

class NodeChannel {
  readonly routes = new Map<string, { check: PeerFieldCheck; handle: (e: Envelope) => void }>();
  constructor(
    readonly self: string,
    private readonly net: Network,
  ) {
    net.channels.set(self, this);
  }
  get others(): string[] {
    return PEERS.filter((p) => p !== this.self);
  }
  on(type: string, check: PeerFieldCheck, handle: (e: Envelope) => void): void {
    this.routes.set(type, { check, handle });
  }
  send(to: string, type: string, term: number, body: Record<string, unknown>): boolean {
    if (this.net.cut.has(this.self) || this.net.cut.has(to)) return false;
    const frame = { from: this.self, to, type, term, body: structuredClone(body) };
    this.net.queue.push(frame);
    this.net.sent.push(frame);
    return true;
  }
  receive(f: Frame): void {
    const route = this.routes.get(f.type);
    if (!route) return;
    const e = { ...f.body, type: f.type, from: f.from, to: f.to, term: f.term, cpu: 0 };
    const problem = route.check(e);
    if (problem) throw new Error(`malformed ${f.type}: ${problem}`);
    route.handle(e as unknown as Envelope);
  }
}

function makeNode(self: string, net: Network, clock: FakeClock, followerHeartbeats = true) {
  const config = {
    thisNode: self,
    peers: PEERS,
    clientTimeoutMs: 30_000,
    heartbeatIntervalMs: 50,
    electionTimeoutMinMs: TIMEOUT_MIN,
    followerHeartbeats,
  } as ClusterConfig;
  const scheduler = new SchedulerRegistry();
  const channel = new NodeChannel(self, net) as unknown as PeerChannel;
  const presence = new PresenceService(config, clock, scheduler);
  const leadership = new LeadershipState();
  const stats = new ClientStats();
  const replicator = new PresenceReplicator(
    config,
    clock,
    leadership,
    presence,
    channel,
    scheduler,
  );
  const forwarder = new HeartbeatForwarder(
    config,
    clock,
    leadership,
    replicator,
    channel,
    scheduler,
  );
  const forwarded = new ForwardedHeartbeats(leadership, presence, replicator, channel, stats);
  replicator.onModuleInit();
  forwarder.onModuleInit();
  forwarded.onModuleInit();
  // The test drives every periodic job by hand: a real timer firing on a slow machine would
  // put frames on the network that the test does not expect.
  for (const name of scheduler.getIntervals()) scheduler.deleteInterval(name);
  for (const name of scheduler.getTimeouts()) scheduler.deleteTimeout(name);
  const destroy = () => {
    forwarder.onModuleDestroy();
    replicator.onModuleDestroy();
  };
  return { presence, leadership, replicator, forwarder, stats, destroy };
}

/** The scheduled work of each node that the tests drive by hand. */
const tick = (r: PresenceReplicator) => (r as unknown as { tick: () => void }).tick();
const expireForwards = (f: HeartbeatForwarder) => (f as unknown as { expire: () => void }).expire();
/** Lets setImmediate callbacks (batch flushes, urgent deltas) and settled promises run. */
const turn = () => new Promise((r) => setImmediate(r));

/** Settles `p` into a result the test can look at without awaiting forever. */
function track(p: Promise<void>) {
  const state: { settled: 'pending' | 'held' | 'refused'; error?: unknown } = {
    settled: 'pending',
  };
  p.then(
    () => (state.settled = 'held'),
    (error: unknown) => Object.assign(state, { settled: 'refused', error }),
  );
  return state;
}

describe('follower heartbeats: forward and acknowledgement', () => {
  let net: Network;
  let clock: FakeClock;
  let nodes: Record<string, ReturnType<typeof makeNode>>;

  /**
   * Runs the network and the event loop until nothing moves, the clock a millisecond on per
   * round: a delta holds only the changes made strictly before it was drained.
   */
  async function settle(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      clock.advance(1);
      net.deliverAll();
      await turn();
    }
  }

  beforeEach(async () => {
    net = new Network();
    clock = new FakeClock();
    nodes = {
      [A]: makeNode(A, net, clock),
      [B]: makeNode(B, net, clock),
      [C]: makeNode(C, net, clock),
    };
    nodes[B].leadership.update({ role: 'follower', term: 2, leader: A, leaderApi: null });
    nodes[C].leadership.update({ role: 'follower', term: 2, leader: A, leaderApi: null });
    nodes[A].leadership.update({ role: 'leader', term: 2, leader: A, leaderApi: null }, () => true);
    await settle(); // the new leader gathers the copies and sends its full list
    tick(nodes[A].replicator);
    await settle();
  });
  afterEach(() => Object.values(nodes).forEach((n) => n.destroy()));

  it('answers a follower heartbeat only once a majority holds it, and the leader lists it', async () => {
    const b = nodes[B];
    expect(b.forwarder.inReach()).toBe(true);
    net.cut.add(C); // the leader and B alone are a majority of three
    const beat = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    clock.advance(1);
    await turn(); // the batch goes out
    expect(net.queue.map((f) => f.type)).toEqual(['PresenceForward']);
    net.deliverAll(); // the leader applies it and sends a delta for it at once ...
    await turn();
    expect(nodes[A].presence.list().map((c) => c.username)).toEqual(['alice']);
    expect(beat.settled).toBe('pending'); // ... but answers only once a majority holds it
    await settle();
    expect(beat.settled).toBe('held');
    expect(b.presence.list().map((c) => c.username)).toEqual(['alice']);
    expect(nodes[A].stats.forwardedBy.get(B)).toBe(1);
  });

  it('passes on everything accepted in one turn as one batch, a client once', async () => {
    const b = nodes[B];
    const beats = [
      track(b.forwarder.forward('alice', '10.0.0.1:1')),
      track(b.forwarder.forward('bob', '10.0.0.2:1')),
      track(b.forwarder.forward('alice', '10.0.0.9:1')),
    ];
    await turn();
    expect(net.queue).toEqual([
      {
        from: B,
        to: A,
        type: 'PresenceForward',
        term: 2,
        body: {
          batch: 0,
          beats: [
            ['alice', '10.0.0.9:1'],
            ['bob', '10.0.0.2:1'],
          ],
        },
      },
    ]);
    await settle();
    expect(beats.map((s) => s.settled)).toEqual(['held', 'held', 'held']);
    expect(nodes[A].presence.list().map((c) => [c.username, c.addr])).toEqual([
      ['alice', '10.0.0.9:1'],
      ['bob', '10.0.0.2:1'],
    ]);
  });

  it('acknowledges a refresh at once when a majority holds the previous heartbeat', async () => {
    const b = nodes[B];
    const first = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    await settle();
    tick(nodes[A].replicator); // the next regular delta: everyone holds alice
    await settle();
    expect(first.settled).toBe('held');
    net.cut.add(C);
    const before = net.sent.length;
    const refresh = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    await turn();
    net.deliverAll();
    await turn();
    // The leader answers the batch at the end of the turn: no delta needed first.
    expect(net.sent.slice(before).map((f) => f.type)).toEqual([
      'PresenceForward',
      'PresenceForwardAck',
    ]);
    net.deliverAll();
    await turn();
    expect(refresh.settled).toBe('held');
  });

  it('answers a batch on the next delta to its follower when one leaves in the same turn', async () => {
    const b = nodes[B];
    net.cut.add(C); // B's acknowledgement alone makes the majority
    const first = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    await turn(); // batch 0 goes out
    net.deliverAll(); // the leader applies it ...
    clock.advance(1); // ... and drains it into a delta after its time
    await turn();
    const before = net.sent.length;
    const second = track(b.forwarder.forward('bob', '10.0.0.2:1'));
    await turn(); // batch 1 goes out behind the delta
    clock.advance(1);
    // B takes the delta and acknowledges it; the leader takes batch 1, which needs a round of
    // its own; B's acknowledgement holds batch 0, and the delta for batch 1 leaves at once.
    net.deliverAll();
    await turn();
    const sent = net.sent.slice(before);
    expect(sent.map((f) => `${f.type} to ${f.to}`)).toEqual([
      `PresenceForward to ${A}`,
      `PresenceAck to ${A}`,
      `PresenceDelta to ${B}`,
    ]);
    expect(sent[2].body).toMatchObject({
      online: [['bob', '10.0.0.2:1', expect.any(Number)]],
      held: [0],
    });
    net.deliverAll();
    await turn();
    expect(first.settled).toBe('held');
    expect(second.settled).toBe('pending');
    // Nothing else waits when batch 1 is held: its answer is a frame of its own.
    await settle();
    expect(second.settled).toBe('held');
    const answers = net.sent.slice(before).filter((f) => f.type === 'PresenceForwardAck');
    expect(answers.map((f) => f.body)).toEqual([{ batches: [1], held: true }]);
  });

  it('never answers 200 for a heartbeat the leader cannot get a majority for', async () => {
    net.cut.add(C);
    net.lost.add('PresenceAck'); // B never confirms the leader's deltas: no majority holds them
    const b = nodes[B];
    const beat = track(b.forwarder.forward('carol', '10.0.0.3:1'));
    await settle();
    expect(nodes[A].presence.list().map((c) => c.username)).toEqual(['carol']);
    expect(beat.settled).toBe('pending');
    clock.advance(TIMEOUT_MIN);
    expireForwards(b.forwarder);
    await turn();
    expect(beat.settled).toBe('refused');
    expect(beat.error).toBeInstanceOf(LeaderOutOfReachError);
  });

  it('refuses heartbeats once the leader has been silent for its lease', async () => {
    const b = nodes[B];
    tick(nodes[A].replicator);
    net.deliverAll();
    clock.advance(TIMEOUT_MIN - 1);
    expect(b.forwarder.inReach()).toBe(true);
    clock.advance(1);
    expect(b.forwarder.inReach()).toBe(false);
    const beat = track(b.forwarder.forward('dave', '10.0.0.4:1'));
    await turn();
    expect(beat.settled).toBe('refused');
    expect(net.queue).toEqual([]); // nothing was sent: nobody holds it
    tick(nodes[A].replicator); // the leader's stream again
    await settle();
    expect(b.forwarder.inReach()).toBe(true);
  });

  it('is refused by a node that no longer leads, and fails with a change of leader', async () => {
    const b = nodes[B];
    nodes[A].leadership.update(
      { role: 'leader', term: 2, leader: A, leaderApi: null },
      () => false,
    );
    const refused = track(b.forwarder.forward('erin', '10.0.0.5:1'));
    await settle();
    expect(refused.settled).toBe('refused');
    expect(nodes[A].presence.list()).toEqual([]);

    nodes[A].leadership.update({ role: 'leader', term: 2, leader: A, leaderApi: null }, () => true);
    const cut = track(b.forwarder.forward('erin', '10.0.0.5:1'));
    await turn();
    b.leadership.update({ role: 'follower', term: 3, leader: null, leaderApi: null });
    await turn();
    expect(cut.settled).toBe('refused');
    expect(b.forwarder.inReach()).toBe(false);
  });

  it('takes no heartbeats with follower_heartbeats off', () => {
    const off = makeNode(B, new Network(), clock, false);
    off.leadership.update({ role: 'follower', term: 2, leader: A, leaderApi: null });
    expect(off.forwarder.enabled).toBe(false);
    expect(off.forwarder.inReach()).toBe(false);
    off.destroy();
  });
});
