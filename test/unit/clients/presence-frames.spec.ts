import { RECORDS_PER_FRAME } from '../../../src/clients/presence-sync.messages';
import { A, B, C, names, tick, track, turn, useCluster } from '../../support/presence-cluster';

/**
 * A delta with more changes than one frame holds leaves as several frames, numbered in turn.
 * A follower that took some of them holds only what was drained before the delta.
 */
describe('a presence delta too large for one frame', () => {
  const cluster = useCluster([A, B, C]);
  const CLIENTS = RECORDS_PER_FRAME + 500;

  /** The leader takes CLIENTS new heartbeats; returns when they came in. */
  async function manyHeartbeats(): Promise<number> {
    const { clock, nodes } = cluster;
    clock.advance(50);
    tick(nodes[A].replicator);
    await cluster.settle();
    const at = clock.monotonicMs();
    for (let i = 0; i < CLIENTS; i++) nodes[A].presence.heartbeat(`u${i}`, '10.0.0.1:1');
    clock.advance(1);
    return at;
  }

  /** Drops the last frame of the delta in flight, to every follower: it is still on its way. */
  function holdBackLastFrame(): number {
    const { net } = cluster;
    const frames = net.queue.filter((f) => f.type === 'PresenceDelta');
    const lastSeq = Math.max(...frames.map((f) => f.body.seq as number));
    expect(new Set(frames.map((f) => f.body.seq)).size).toBe(2);
    for (let i = net.queue.length - 1; i >= 0; i--) {
      const f = net.queue[i];
      if (f.type === 'PresenceDelta' && f.body.seq === lastSeq) net.queue.splice(i, 1);
    }
    return lastSeq;
  }

  it('answers none of its heartbeats before a majority took the last frame', async () => {
    const { net, nodes } = cluster;
    await manyHeartbeats();
    const held = track(nodes[A].replicator.heldSoon());
    cluster.clock.advance(1); // the delta is drained a moment after the wait began
    await turn(); // the urgent delta leaves, in two frames
    holdBackLastFrame();
    net.deliverAll(); // both followers apply and acknowledge the first frame
    await turn();
    expect(names(nodes[B])).not.toContain(`u${CLIENTS - 1}`);
    expect(held.settled).toBe('pending');
    // The next delta shows them the gap; they ask for the full list and hold it all.
    tick(nodes[A].replicator);
    await cluster.settle();
    expect(names(nodes[B])).toContain(`u${CLIENTS - 1}`);
    expect(held.settled).toBe('held');
  });

  it('dates a follower read by its last frame only', async () => {
    const { net, clock, nodes } = cluster;
    const addedAt = await manyHeartbeats();
    tick(nodes[A].replicator);
    const frames = net.queue.filter((f) => f.type === 'PresenceDelta' && f.to === B);
    expect(frames.map((f) => f.body.ackSeq !== undefined)).toEqual([false, true]);
    holdBackLastFrame();
    net.deliverAll();
    expect(names(nodes[B])).not.toContain(`u${CLIENTS - 1}`);
    const lag = nodes[B].replicator.followReadLagMs();
    expect(lag).toBeGreaterThan(clock.monotonicMs() - addedAt);
  });
});
