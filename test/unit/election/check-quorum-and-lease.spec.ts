import { APPEND_ENTRIES } from '../../../src/election/consensus';
import { SimCluster } from './sim/sim-cluster';
import { DEFAULT_TIMING } from './sim/timing';

const { electionTimeoutMinMs: MIN, leaseSafetyMarginMs: MARGIN } = DEFAULT_TIMING;

describe('check-quorum and the leader lease', () => {
  it.each([3, 5])(
    'a %i-node leader cut off in a minority steps down, and its lease ends before the next begins',
    (size) => {
      const cluster = new SimCluster({ size, seed: 3 });
      const oldLeader = cluster.runUntilAgreedLeader();
      cluster.runFor(2500);
      const others = cluster.ids.filter((id) => id !== oldLeader);
      const minority = [oldLeader, ...others.slice(0, (size - 1) / 2 - 1)];
      cluster.partition(minority, others.slice(minority.length - 1));
      const cutAt = cluster.now;

      cluster.runFor(MIN);
      const stepDown = cluster.node(oldLeader).roleChanges.at(-1)!;
      expect(stepDown).toMatchObject({ role: 'follower', leader: null, reason: 'lost quorum' });
      expect(stepDown.at).toBeLessThanOrEqual(cutAt + MIN);

      cluster.heal();
      const newLeader = cluster.runUntilAgreedLeader();
      expect(newLeader).not.toBe(oldLeader);
      const oldEnd = Math.max(...cluster.leaseSpans(oldLeader).map((s) => s.until));
      const newStart = Math.min(...cluster.leaseSpans(newLeader).map((s) => s.from));
      expect(oldEnd).toBeLessThanOrEqual(cutAt + MIN - MARGIN);
      expect(newStart).toBeGreaterThanOrEqual(oldEnd);
      expect(cluster.safety.violations).toEqual([]);
    },
  );

  it('a new leader holds no lease until a majority acknowledged one of its heartbeats', () => {
    const cluster = new SimCluster({
      size: 3,
      seed: 5,
      network: { minLatencyMs: 40, maxLatencyMs: 40 },
    });
    const leader = cluster.runUntilAgreedLeader();
    cluster.runFor(100);
    const won = cluster.node(leader).roleChanges.find((c) => c.reason === 'won election')!;
    expect(won.at).toBeLessThan(cluster.leaseSpans(leader)[0].from);
    // First heartbeat goes out as it wins; the first acknowledgement is back one round trip later.
    expect(cluster.leaseSpans(leader)[0].from).toBe(won.at + 80);
  });

  it('counts the lease from when the acknowledged heartbeat was sent', () => {
    const cluster = new SimCluster({
      size: 3,
      seed: 5,
      network: { minLatencyMs: 40, maxLatencyMs: 40 },
    });
    const leader = cluster.runUntilAgreedLeader();
    cluster.runFor(5000);
    const beats = cluster.node(leader).sent.filter((m) => m.type === APPEND_ENTRIES);
    const lastAnswered = beats.filter(
      (m) => m.type === APPEND_ENTRIES && m.sentAt <= cluster.now - 80,
    );
    const sentAt = Math.max(...lastAnswered.map((m) => (m.type === APPEND_ENTRIES ? m.sentAt : 0)));
    expect(cluster.status(leader)!.leaseUntil).toBe(sentAt + MIN - MARGIN);
  });
});
