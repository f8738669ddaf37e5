import { LeaderOutOfReachError } from '../../../src/common/http/leadership-errors';
import { FakeClock } from '../../support/fake-clock';
import {
  A,
  addrOf,
  B,
  C,
  D,
  E,
  expireForwards,
  makeNode,
  names,
  Network,
  NodeChannel,
  settleAll,
  tick,
  TIMEOUT_MIN,
  track,
  turn,
  typesSince,
  useCluster,
} from '../../support/presence-cluster';

/** A batch of bob's heartbeat to A in term 2 that says its sender holds it. */
const forwardSayingItHolds = (channel: NodeChannel, batch: number) =>
  channel.send(A, 'PresenceForward', 2, { batch, beats: [['bob', '10.0.0.2:1']], holds: true });

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

  it('runs its expiry timer only while a batch awaits the leader', async () => {
    const EXPIRY = 'heartbeat-forward-expiry';
    const running = (node: ReturnType<typeof makeNode>) =>
      node.scheduler.doesExist('interval', EXPIRY);
    // Nothing in flight, so nothing to expire: neither the leader nor an idle follower started
    // it, not even at init.
    expect([nodes[A].intervalsStarted, nodes[B].intervalsStarted]).toEqual([
      expect.not.arrayContaining([EXPIRY]),
      expect.not.arrayContaining([EXPIRY]),
    ]);
    for (const round of [1, 2]) {
      const beat = track(nodes[B].forwarder.forward(`frank${round}`, '10.0.0.6:1'));
      await turn(); // the batch goes out
      expect(running(nodes[B])).toBe(true);
      await settle();
      expect(beat.settled).toBe('held');
      expireForwards(nodes[B].forwarder); // its next tick finds nothing in flight
      expect(running(nodes[B])).toBe(false);
    }
    expect(nodes[B].intervalsStarted.filter((n) => n === EXPIRY)).toHaveLength(2);
    expect(nodes[A].intervalsStarted).not.toContain(EXPIRY);
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
