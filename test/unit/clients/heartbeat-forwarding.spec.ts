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
const D = '127.0.0.1:7004';
const E = '127.0.0.1:7005';
const TIMEOUT_MIN = 300;

interface Frame {
  from: string;
  to: string;
  type: string;
  term: number;
  body: Record<string, unknown>;
}

/**
 * The presence sync of `peers` in memory: frames wait in one queue until the test delivers them,
 * in order, and links can be cut. Each frame passes its type's check, as PeerChannel.dispatch
 * does.
 */
class Network {
  constructor(readonly peers: string[]) {}
  readonly queue: Frame[] = [];
  /** Every frame ever sent, in order. */
  readonly sent: Frame[] = [];
  readonly cut = new Set<string>();
  /** Frames of these types are lost. */
  readonly lost = new Set<string>();
  readonly channels = new Map<string, NodeChannel>();
  deliverAll(): void {
    for (let i = 0; i < 1000 && this.queue.length > 0; i++) this.deliverNext();
  }
  /** Delivers the first frame waiting; what its receiver sends in answer waits behind the rest. */
  deliverNext(): void {
    const f = this.queue.shift();
    if (!f || this.cut.has(f.from) || this.cut.has(f.to) || this.lost.has(f.type)) return;
    this.channels.get(f.to)!.receive(f);
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
    return this.net.peers.filter((p) => p !== this.self);
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
    peers: net.peers,
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
    presence,
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

/**
 * A cluster of `peers` whose first node leads in term 2, with every follower's copy whole: the
 * new leader gathered the copies, sent its full list and a first delta.
 */
function useCluster(peers: string[]) {
  const c = {} as {
    net: Network;
    clock: FakeClock;
    nodes: Record<string, ReturnType<typeof makeNode>>;
  };
  beforeEach(async () => {
    c.net = new Network(peers);
    c.clock = new FakeClock();
    c.nodes = Object.fromEntries(peers.map((p) => [p, makeNode(p, c.net, c.clock)]));
    for (const p of peers.slice(1))
      c.nodes[p].leadership.update({ role: 'follower', term: 2, leader: A, leaderApi: null });
    c.nodes[A].leadership.update(
      { role: 'leader', term: 2, leader: A, leaderApi: null },
      () => true,
    );
    await settleAll(c.net, c.clock); // the new leader gathers the copies and sends its full list
    tick(c.nodes[A].replicator);
    await settleAll(c.net, c.clock);
  });
  afterEach(() => Object.values(c.nodes).forEach((n) => n.destroy()));
  return c;
}

/**
 * Runs the network and the event loop until nothing moves, the clock a millisecond on per
 * round: a delta holds only the changes made strictly before it was drained.
 */
async function settleAll(net: Network, clock: FakeClock): Promise<void> {
  for (let i = 0; i < 20; i++) {
    clock.advance(1);
    net.deliverAll();
    await turn();
  }
}

/** A batch of bob's heartbeat to A in term 2 that says its sender holds it. */
const forwardSayingItHolds = (channel: NodeChannel, batch: number) =>
  channel.send(A, 'PresenceForward', 2, { batch, beats: [['bob', '10.0.0.2:1']], holds: true });

const names = (n: ReturnType<typeof makeNode>) => n.presence.list().map((c) => c.username);
const addrOf = (n: ReturnType<typeof makeNode>) => n.presence.list().map((c) => c.addr);
const typesSince = (net: Network, from: number) =>
  net.sent.slice(from).map((f) => `${f.type} to ${f.to}`);

describe('follower heartbeats with three voters: the follower is the second holder', () => {
  const cluster = useCluster([A, B, C]);
  let net: Network;
  let clock: FakeClock;
  let nodes: Record<string, ReturnType<typeof makeNode>>;
  const settle = () => settleAll(net, clock);
  beforeEach(() => ({ net, clock, nodes } = cluster));

  /** A is gone: C takes office in term 3, with B its follower, and gathers the copies. */
  async function leaderDiesAndCLeads(): Promise<void> {
    net.cut.add(A);
    nodes[B].leadership.update({ role: 'follower', term: 3, leader: C, leaderApi: null });
    nodes[C].leadership.update({ role: 'leader', term: 3, leader: C, leaderApi: null }, () => true);
    await settle();
  }

  it('answers a follower heartbeat without a round: the leader and that follower hold it', async () => {
    const b = nodes[B];
    expect(b.forwarder.inReach()).toBe(true);
    net.cut.add(C); // C holds nothing of it: the leader and B alone
    const before = net.sent.length;
    const beat = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    await turn(); // the batch goes out
    net.deliverNext(); // the leader applies it and answers in the same call
    expect(typesSince(net, before)).toEqual([
      `PresenceForward to ${A}`,
      `PresenceForwardAck to ${B}`,
    ]);
    expect(net.sent.at(-1)!.body).toEqual({ batches: [0], held: true, holder: true });
    expect(names(nodes[A])).toEqual(['alice']);
    net.deliverAll();
    await turn();
    expect(beat.settled).toBe('held');
    // B keeps it in its own copy, which a new leader takes in: it was one of the two holders.
    expect(names(b)).toEqual(['alice']);
    expect(names(nodes[C])).toEqual([]);
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
          holds: true,
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

  it("a heartbeat answered through a follower is in the next leader's list", async () => {
    const b = nodes[B];
    net.cut.add(C);
    const beat = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    await settle();
    expect(beat.settled).toBe('held');
    // The leader dies before any delta took alice to C; C leads next, with B's copy.
    net.cut.clear();
    await leaderDiesAndCLeads();
    expect(names(nodes[C])).toEqual(['alice']);
  });

  it('keeps a heartbeat it passed on though the leader took its client offline just before', async () => {
    const b = nodes[B];
    const first = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    await settle();
    tick(nodes[A].replicator);
    await settle();
    expect(first.settled).toBe('held');
    expect(names(nodes[C])).toEqual(['alice']);
    // alice times out on the leader; the delta that says so is on its way when she heartbeats
    // through B, whose copy (never expired by time) still has her.
    for (let waited = 0; waited < 30_000 - 100; waited += 100) {
      clock.advance(100);
      tick(nodes[A].replicator);
      net.deliverAll();
    }
    expect(names(b)).toEqual(['alice']);
    clock.advance(100);
    tick(nodes[A].replicator);
    const again = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    await turn();
    net.deliverAll(); // the delta takes alice out of B's and C's copies; the leader takes her back
    await turn();
    expect(names(nodes[C])).toEqual([]);
    net.deliverAll(); // the leader's answer, behind its delta on the same connection
    await turn();
    expect(again.settled).toBe('held');
    expect(names(b)).toEqual(['alice']);
    // The leader dies now: C leads next, and B's copy still had her.
    await leaderDiesAndCLeads();
    expect(names(nodes[C])).toEqual(['alice']);
  });

  it('a full list the leader sends after taking the batch cannot be overwritten by it', async () => {
    const b = nodes[B];
    const beat = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    await turn(); // the batch goes out
    net.deliverNext(); // the leader applies it and answers
    nodes[A].presence.heartbeat('alice', '10.0.0.7:1'); // alice moves, heard by the leader itself
    // B asks for the whole list (a delta it missed): it leaves behind the answer, with alice's move.
    net.channels.get(B)!.send(A, 'PresenceSyncRequest', 2, {});
    await settle();
    expect(beat.settled).toBe('held');
    expect(addrOf(nodes[A])).toEqual(['10.0.0.7:1']);
    expect(addrOf(b)).toEqual(['10.0.0.7:1']);
  });

  it('counts no follower a holder that is no voter', async () => {
    const learner = '127.0.0.1:7009';
    const channel = new NodeChannel(learner, net);
    channel.on(
      'PresenceForwardAck',
      () => null,
      () => undefined,
    );
    const before = net.sent.length;
    forwardSayingItHolds(channel, 3);
    net.deliverNext();
    await turn();
    // The round's delta leaves first; the answer, once a majority holds it, does not count the learner.
    expect(typesSince(net, before).slice(0, 2)).toEqual([
      `PresenceForward to ${A}`,
      `PresenceDelta to ${B}`,
    ]);
    await settle();
    const answer = net.sent.slice(before).find((f) => f.type === 'PresenceForwardAck');
    expect(answer?.body).toEqual({ batches: [3], held: true });
  });

  it('waits for a round for a batch whose follower does not hold it (an older node)', async () => {
    net.cut.add(C);
    const before = net.sent.length;
    const bChannel = net.channels.get(B)!;
    bChannel.send(A, 'PresenceForward', 2, { batch: 7, beats: [['bob', '10.0.0.2:1']] });
    net.deliverAll();
    await turn();
    // A delta for it leaves at once, and no answer before B acknowledged that delta.
    expect(typesSince(net, before)).toEqual([`PresenceForward to ${A}`, `PresenceDelta to ${B}`]);
    await settle();
    const sent = typesSince(net, before);
    const answered = net.sent
      .slice(before)
      .findIndex((f) => f.type === 'PresenceForwardAck' && f.to === B);
    expect(net.sent[before + answered].body).toEqual({ batches: [7], held: true });
    expect(sent.indexOf(`PresenceAck to ${A}`)).toBeGreaterThan(1);
    expect(sent.indexOf(`PresenceAck to ${A}`)).toBeLessThan(answered);
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
    const off = makeNode(B, new Network([A, B, C]), clock, false);
    off.leadership.update({ role: 'follower', term: 2, leader: A, leaderApi: null });
    expect(off.forwarder.enabled).toBe(false);
    expect(off.forwarder.inReach()).toBe(false);
    off.destroy();
  });
});

describe('follower heartbeats with five voters: a round for the third holder', () => {
  const cluster = useCluster([A, B, C, D, E]);
  let net: Network;
  let clock: FakeClock;
  let nodes: Record<string, ReturnType<typeof makeNode>>;
  const settle = () => settleAll(net, clock);
  beforeEach(() => ({ net, clock, nodes } = cluster));

  it('answers a follower heartbeat only once a majority holds it, and the leader lists it', async () => {
    const b = nodes[B];
    net.cut.add(C).add(D); // the leader, B and E are a majority of five
    const beat = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    await turn(); // the batch goes out
    const before = net.sent.length;
    net.deliverAll(); // the leader applies it and sends a delta for it at once ...
    await turn();
    expect(names(nodes[A])).toEqual(['alice']);
    expect(typesSince(net, before)).toEqual([`PresenceDelta to ${B}`, `PresenceDelta to ${E}`]);
    expect(beat.settled).toBe('pending'); // ... but answers only once a majority holds it
    await settle();
    expect(beat.settled).toBe('held');
    expect(names(nodes[E])).toEqual(['alice']);
  });

  it('keeps the newer address when a batch held by a round is answered after its delta', async () => {
    const b = nodes[B];
    const beat = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    await turn(); // the batch goes out
    net.deliverNext(); // the leader applies it; it needs a round
    nodes[A].presence.heartbeat('alice', '10.0.0.7:1'); // alice moves, heard by the leader itself
    await settle(); // the round's delta carries the move; the answer comes after it
    expect(beat.settled).toBe('held');
    const answer = net.sent.find((f) => f.type === 'PresenceForwardAck' && f.body.batches);
    expect(answer?.body ?? { held: true }).not.toHaveProperty('holder');
    expect(addrOf(nodes[A])).toEqual(['10.0.0.7:1']);
    expect(addrOf(b)).toEqual(['10.0.0.7:1']);
  });

  it('never answers 200 when only the leader and the follower that took it hold it', async () => {
    net.cut.add(C).add(D).add(E);
    const b = nodes[B];
    const beat = track(b.forwarder.forward('carol', '10.0.0.3:1'));
    await settle();
    expect(names(nodes[A])).toEqual(['carol']);
    expect(beat.settled).toBe('pending');
    clock.advance(TIMEOUT_MIN);
    expireForwards(b.forwarder);
    await turn();
    expect(beat.settled).toBe('refused');
    expect(beat.error).toBeInstanceOf(LeaderOutOfReachError);
  });

  it('acknowledges a refresh at once when a majority holds the previous heartbeat', async () => {
    const b = nodes[B];
    const first = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    await settle();
    tick(nodes[A].replicator); // the next regular delta: everyone holds alice
    await settle();
    expect(first.settled).toBe('held');
    net.cut.add(C).add(D);
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
    net.cut.add(C).add(D); // B's and E's acknowledgements make the majority
    const first = track(b.forwarder.forward('alice', '10.0.0.1:1'));
    await turn(); // batch 0 goes out
    net.deliverAll(); // the leader applies it ...
    clock.advance(1); // ... and drains it into a delta after its time
    await turn();
    const before = net.sent.length;
    const second = track(b.forwarder.forward('bob', '10.0.0.2:1'));
    await turn(); // batch 1 goes out behind the delta
    clock.advance(1);
    // B and E take the delta and acknowledge it; the leader takes batch 1, which needs a round
    // of its own; their acknowledgements hold batch 0, and the delta for batch 1 leaves at once.
    net.deliverAll();
    await turn();
    const sent = net.sent.slice(before);
    expect(sent.map((f) => `${f.type} to ${f.to}`)).toEqual([
      `PresenceForward to ${A}`,
      `PresenceAck to ${A}`,
      `PresenceAck to ${A}`,
      `PresenceDelta to ${B}`,
      `PresenceDelta to ${E}`,
    ]);
    expect(sent[4].body).not.toHaveProperty('held');
    expect(sent[3].body).toMatchObject({
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
});

describe('follower heartbeats with two voters', () => {
  const cluster = useCluster([A, B]);

  it('holds a follower heartbeat at once: the leader and the follower are both voters', async () => {
    const { net, nodes } = cluster;
    const before = net.sent.length;
    const beat = track(nodes[B].forwarder.forward('alice', '10.0.0.1:1'));
    await turn();
    net.deliverAll();
    await turn();
    expect(typesSince(net, before)).toEqual([
      `PresenceForward to ${A}`,
      `PresenceForwardAck to ${B}`,
    ]);
    expect(beat.settled).toBe('held');
    expect(names(nodes[B])).toEqual(['alice']);
  });
});

describe('follower heartbeats while the leader may lack clients (a partial list)', () => {
  // The gathering's wait is a timer; the tests' own turns (setImmediate) stay real.
  beforeEach(() =>
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }),
  );
  afterEach(() => jest.useRealTimers());

  it('a follower says it holds nothing, and the leader counts nobody, until the list is whole', async () => {
    // A fresh cluster whose third node is out of reach: not one copy came whole from a leader.
    const net = new Network([A, B, C]);
    const clock = new FakeClock();
    const nodes = Object.fromEntries([A, B, C].map((p) => [p, makeNode(p, net, clock)]));
    net.cut.add(C);
    for (const p of [B, C])
      nodes[p].leadership.update({ role: 'follower', term: 2, leader: A, leaderApi: null });
    nodes[A].leadership.update({ role: 'leader', term: 2, leader: A, leaderApi: null }, () => true);
    await settleAll(net, clock);
    jest.advanceTimersByTime(TIMEOUT_MIN); // the wait for copies runs out: the list goes out partial
    await settleAll(net, clock);
    expect(nodes[A].replicator.missingCopies).toEqual([C]);
    expect(nodes[B].replicator.copyKnown).toBe(false);
    expect(nodes[B].forwarder.inReach()).toBe(true);

    const before = net.sent.length;
    const beat = track(nodes[B].forwarder.forward('alice', '10.0.0.1:1'));
    await turn();
    expect(net.sent[before].type).toBe('PresenceForward');
    expect(net.sent[before].body).not.toHaveProperty('holds');
    // One that says it holds anyway (a node out of step) is not counted either: a round first.
    forwardSayingItHolds(net.channels.get(B)!, 99);
    net.deliverAll();
    await turn();
    expect(typesSince(net, before).slice(0, 3)).toEqual([
      `PresenceForward to ${A}`,
      `PresenceForward to ${A}`,
      `PresenceDelta to ${B}`,
    ]);
    await settleAll(net, clock);
    expect(beat.settled).toBe('held');
    const answers = net.sent
      .slice(before)
      .filter((f) => f.to === B && (f.type === 'PresenceForwardAck' || f.body.held !== undefined));
    expect(answers.flatMap((f) => (f.body.batches ?? f.body.held) as number[]).sort()).toEqual([
      0, 99,
    ]);
    for (const f of answers) expect(f.body).not.toHaveProperty('holder');
    Object.values(nodes).forEach((n) => n.destroy());
  });
});
