import {
  AUTO_PROMOTE_STABLE_MS,
  learnerDueForPromotion,
} from '../../../src/election/auto-promotion';
import { SimCluster } from '../election/sim/sim-cluster';

/** The leader of a simulated 3-voter cluster with node 4 added as a learner. */
function withLearner() {
  const c = new SimCluster({ size: 4, seed: 11, voters: 3 });
  const leader = c.runUntilAgreedLeader();
  c.runFor(2 * c.timing.heartbeatIntervalMs);
  const learner = c.ids[3];
  c.changeMembership(leader, { kind: 'add', node: learner, apiUrl: 'http://l', learner: true });
  c.runFor(2 * c.timing.heartbeatIntervalMs);
  const reachableMs = c.timing.electionTimeoutMinMs;
  return { c, leader, learner, reachableMs };
}

describe('auto_promote: which learner is due', () => {
  it('a learner caught up and reachable is due after 3 s without a break, not before', () => {
    const { c, leader, learner, reachableMs } = withLearner();
    const stable = new Map<string, number>();
    const ask = () => learnerDueForPromotion(c.status(leader)!, stable, c.now, reachableMs);
    expect(ask()).toBeNull();
    const start = c.now;
    c.runFor(AUTO_PROMOTE_STABLE_MS - 100);
    expect(ask()).toBeNull();
    c.runFor(200);
    expect(ask()).toBe(learner);
    expect(stable.get(learner)).toBe(start);
  });

  it('starts counting again when the learner drops out of reach, and never on a follower', () => {
    const { c, leader, learner, reachableMs } = withLearner();
    const stable = new Map<string, number>();
    expect(learnerDueForPromotion(c.status(leader)!, stable, c.now, reachableMs)).toBeNull();
    c.crash(learner);
    c.runFor(reachableMs + 100);
    expect(learnerDueForPromotion(c.status(leader)!, stable, c.now, reachableMs)).toBeNull();
    expect(stable.has(learner)).toBe(false);
    const follower = c.ids.find((id) => id !== leader && id !== learner)!;
    expect(learnerDueForPromotion(c.status(follower)!, stable, c.now, reachableMs)).toBeNull();
  });

  it('a learner more than 10 entries behind is not due', () => {
    const { c, leader, learner, reachableMs } = withLearner();
    // It answers heartbeats but never takes entries: reachable, and ever further behind.
    c.rewrite = (m) =>
      m.type === 'Heartbeat' && m.to === learner && m.entries.length > 0 ? null : m;
    for (let i = 0; i < 20; i++) c.propose(leader, `e${i}`);
    const stable = new Map<string, number>();
    for (let t = 0; t <= AUTO_PROMOTE_STABLE_MS + 1000; t += 500) {
      c.runFor(500);
      expect(learnerDueForPromotion(c.status(leader)!, stable, c.now, reachableMs)).toBeNull();
    }
  });
});
