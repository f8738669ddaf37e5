import type { FakeClock } from '../../support/fake-clock';
import {
  A,
  B,
  C,
  D,
  E,
  type makeNode,
  names,
  type Network,
  tick,
  track,
  useCluster,
} from '../../support/presence-cluster';

/**
 * The most a copy the stream keeps up with may be said to be behind here: settle() moves the
 * clock 1 ms a round, and 15% of the time the leader held an acknowledgement (an interval, 50
 * ms) is allowed for clock rates.
 */
const FRESH_MS = 40;

/**
 * How old a follower's copy of the online list is, as follower reads report it (Rollcall-Lag-Ms):
 * the copy holds every heartbeat the leader had taken in by then, whenever the follower read
 * the frames that brought it.
 */
describe('a follower read says how old the leader list it holds is', () => {
  const cluster = useCluster([A, B, C]);
  let net: Network;
  let clock: FakeClock;
  let nodes: Record<string, ReturnType<typeof makeNode>>;
  const settle = () => cluster.settle();
  beforeEach(() => ({ net, clock, nodes } = cluster));

  /** The leader sends its regular delta, one heartbeat interval after the last. */
  async function nextInterval(): Promise<void> {
    clock.advance(50);
    tick(nodes[A].replicator);
    await settle();
  }

  it('is a few ms while the stream flows', async () => {
    await nextInterval();
    await nextInterval();
    expect(nodes[B].replicator.followReadLagMs()).toBeLessThan(FRESH_MS);
    expect(nodes[C].replicator.followReadLagMs()).toBeLessThan(FRESH_MS);
  });

  it('counts a frozen follower the time it was stopped, though it read its backlog just now', async () => {
    await nextInterval();
    const c = nodes[C];
    net.frozen.add(C); // SIGSTOP: frames to C wait in its socket
    await nextInterval(); // one delta waits for C
    net.cut.add(C); // and the ones after it stall behind TCP's back-off
    nodes[A].presence.heartbeat('late', '10.0.0.9:1');
    const late = track(nodes[A].replicator.heldSoon());
    await settle();
    expect(late.settled).toBe('held'); // A and B hold it: 200
    const lateAnsweredAt = clock.monotonicMs();
    for (let i = 0; i < 40; i++) await nextInterval(); // two seconds
    net.cut.delete(C);
    net.frozen.delete(C); // SIGCONT: C reads the delta that waited, and nothing newer
    net.deliverAll();
    expect(names(c)).not.toContain('late');
    // A read now must not claim a copy newer than the 200 that it lacks.
    const lag = c.replicator.followReadLagMs();
    expect(lag).toBeGreaterThan(clock.monotonicMs() - lateAnsweredAt);
    // The stream resumes: C asks for the delta it missed, takes the full list, and is fresh.
    await nextInterval();
    await nextInterval();
    expect(names(c)).toContain('late');
    expect(c.replicator.followReadLagMs()).toBeLessThan(FRESH_MS);
  });

  it('echoes to each follower its latest acknowledgement, and how long ago the leader heard it', async () => {
    await nextInterval();
    const lastAckOf = (from: string) =>
      net.sent.filter((f) => f.type === 'PresenceAck' && f.from === from).at(-1)!.body.seq;
    const heardBy = clock.monotonicMs(); // settle() delivered every acknowledgement
    clock.advance(50);
    tick(nodes[A].replicator);
    const deltas = net.queue.filter((f) => f.type === 'PresenceDelta');
    expect(deltas.map((f) => [f.to, f.body.ackSeq])).toEqual([
      [B, lastAckOf(B)],
      [C, lastAckOf(C)],
    ]);
    for (const f of deltas) {
      expect(f.body.ackAgoMs).toBeGreaterThanOrEqual(50);
      expect(f.body.ackAgoMs).toBeLessThanOrEqual(clock.monotonicMs() - (heardBy - 20));
    }
  });

  it('echoes nothing to a follower that asked for the full list, till it acknowledges that', async () => {
    await nextInterval();
    net.channels
      .get(A)!
      .receive({ from: C, to: A, type: 'PresenceSyncRequest', term: 2, body: {} });
    tick(nodes[A].replicator);
    const deltaTo = (to: string) =>
      net.queue.find((f) => f.type === 'PresenceDelta' && f.to === to)!;
    expect(deltaTo(B).body.ackSeq).toBeDefined();
    expect(deltaTo(C).body).not.toHaveProperty('ackSeq');
    await settle(); // C takes the full list and acknowledges it
    await nextInterval();
    expect(nodes[C].replicator.followReadLagMs()).toBeLessThan(FRESH_MS);
  });

  it('dates nothing a leader sends without its lease: a newer leader may answer elsewhere', async () => {
    await nextInterval();
    const b = nodes[B];
    const before = b.replicator.followReadLagMs()!;
    const view = { role: 'leader' as const, term: 2, leader: A, leaderApi: null };
    nodes[A].leadership.update(view, () => false); // a majority stopped acknowledging it
    tick(nodes[A].replicator);
    const deltas = net.queue.filter((f) => f.type === 'PresenceDelta');
    expect(deltas.map((f) => [f.body.ackSeq, f.body.applied])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);
    await settle();
    clock.advance(50);
    expect(b.replicator.followReadLagMs()).toBeGreaterThan(before + 50);
  });

  it("dates a follower's registry once it has applied the log as far as the leader had", async () => {
    const b = nodes[B];
    await nextInterval(); // dated: both have applied nothing
    const answeredAt = clock.monotonicMs();
    nodes[A].log.appliedIndex = 7; // the leader answers a registration at index 7
    await nextInterval();
    expect(b.replicator.followReadLagMs()).toBeLessThan(FRESH_MS); // its online list is dated
    // Its registry lacks index 7: it is no newer than the registration's answer.
    expect(b.replicator.followRegistryLagMs()).toBeGreaterThanOrEqual(
      clock.monotonicMs() - answeredAt,
    );
    clock.advance(300);
    b.log.appliedIndex = 7;
    // As new as the delta that said 7 (the one that dated the list), not as the moment it applied.
    expect(b.replicator.followRegistryLagMs()).toBe(b.replicator.followReadLagMs());
    expect(b.replicator.followRegistryLagMs()).toBeGreaterThanOrEqual(300);
    // The next delta echoes an acknowledgement held 350 ms (the margin counts), the one after it
    // a fresh one.
    await nextInterval();
    await nextInterval();
    expect(b.replicator.followRegistryLagMs()).toBeLessThan(FRESH_MS);
    expect(nodes[A].replicator.followRegistryLagMs()).toBeNull(); // the leader reads its own
  });

  it('still takes follower heartbeats after the freeze: the leader answers those itself', async () => {
    net.frozen.add(C);
    await nextInterval();
    net.frozen.delete(C);
    net.deliverAll();
    expect(nodes[C].replicator.followLagMs()).toBe(0);
    expect(nodes[C].forwarder.inReach()).toBe(true);
  });
});

describe('a follower read under a new leader that serves before a majority of copies is in', () => {
  const cluster = useCluster([A, B, C, D, E]);

  it('dates nothing until the copies are in: the list may lack what only they hold', async () => {
    const { net, nodes } = cluster;
    net.cut.add(A); // the leader of term 2 is gone
    net.cut.add(D); // and two followers are out of reach
    net.cut.add(E);
    for (const p of [C, D, E])
      nodes[p].leadership.update({ role: 'follower', term: 3, leader: B, leaderApi: null });
    nodes[B].leadership.update({ role: 'leader', term: 3, leader: B, leaderApi: null }, () => true);
    await cluster.settle(); // C's copy comes in: with B's own, two of five
    await nodes[B].replicator.gathering; // the wait runs out: B serves from a vouched list
    expect(nodes[B].replicator.missingCopies).toEqual([]);
    await cluster.settle(); // C takes B's full list
    tick(nodes[B].replicator);
    const toC = cluster.net.queue.filter((f) => f.type === 'PresenceDelta' && f.to === C);
    expect(toC.map((f) => f.body.ackSeq)).toEqual([undefined]);
    await cluster.settle();
    expect(nodes[C].replicator.followReadLagMs()).toBeNull();
    // D is back and sends its copy: a majority's copies are in, and the next delta is dated.
    net.cut.delete(D);
    tick(nodes[B].replicator); // asks again for the copies still out
    await cluster.settle();
    tick(nodes[B].replicator);
    await cluster.settle();
    expect(nodes[C].replicator.followReadLagMs()).toBeLessThan(FRESH_MS);
  });
});
