import { SimCluster } from './sim/sim-cluster';
import { DEFAULT_TIMING } from './sim/timing';

const { electionTimeoutMaxMs: MAX, electionRetryMs: RETRY } = DEFAULT_TIMING;

function calmCluster(size: number, seed = 11) {
  const cluster = new SimCluster({ size, seed, network: { minLatencyMs: 1, maxLatencyMs: 20 } });
  const leader = cluster.runUntilAgreedLeader();
  return { cluster, leader, term: cluster.status(leader)!.term };
}

describe('pre-vote and leader stickiness', () => {
  it.each([
    [3, 1],
    [5, 2],
  ])(
    'keeps %i-node terms unchanged while %i cut-off followers campaign, and after they rejoin',
    (size, cutOff) => {
      const { cluster, leader, term } = calmCluster(size);
      const followers = cluster.ids.filter((id) => id !== leader);
      const minority = followers.slice(0, cutOff);
      const majority = cluster.ids.filter((id) => !minority.includes(id));
      cluster.partition(minority, majority);

      cluster.runFor(10 * MAX);
      for (const id of minority) {
        // They did campaign (pre-vote), but could never win one, so their term never moved.
        expect(cluster.node(id).roleChanges.some((c) => c.role === 'pre-candidate')).toBe(true);
        expect(cluster.status(id)!.term).toBe(term);
      }

      cluster.heal();
      cluster.runFor(2 * MAX);
      expect(cluster.agreedLeader()).toBe(leader);
      expect(cluster.maxTerm()).toBe(term);
      expect(cluster.safety.violations).toEqual([]);
    },
  );

  it('ignores a flapping "peer unreachable" about a live leader: no new term, no new leader', () => {
    const { cluster, leader, term } = calmCluster(3);
    const follower = cluster.ids.find((id) => id !== leader)!;
    for (let t = 0; t < 10 * MAX; t += 3 * RETRY) {
      cluster.at(cluster.now + t, () => cluster.peerUnreachable(follower, leader));
    }
    cluster.runFor(10 * MAX);
    expect(cluster.node(follower).roleChanges.map((c) => c.reason)).toContain(
      'lost connection to leader',
    );
    cluster.runFor(MAX);
    expect(cluster.agreedLeader()).toBe(leader);
    expect(cluster.maxTerm()).toBe(term);
  });

  it('ignores "peer unreachable" reports from a minority of 5 at once', () => {
    const { cluster, leader, term } = calmCluster(5);
    const [a, b] = cluster.ids.filter((id) => id !== leader);
    for (let t = 0; t < 10 * MAX; t += 3 * RETRY) {
      cluster.at(cluster.now + t, () => {
        cluster.peerUnreachable(a, leader);
        cluster.peerUnreachable(b, leader);
      });
    }
    cluster.runFor(11 * MAX);
    expect(cluster.agreedLeader()).toBe(leader);
    expect(cluster.maxTerm()).toBe(term);
  });
});
