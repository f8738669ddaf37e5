import type { NodeId } from '../../../src/election/consensus';
import { OwnWorkLoad } from './sim/own-work-load';
import { SimCluster } from './sim/sim-cluster';
import type { Timing } from './sim/timing';

/** Issue 13's cluster: heartbeat 100 ms, election 1000-2000 ms, a leader term of 4 s. */
const TIMING: Partial<Timing> = {
  heartbeatIntervalMs: 100,
  electionTimeoutMinMs: 1000,
  electionTimeoutMaxMs: 2000,
  leaderTermMs: 4000,
};
const TERM_MS = 4000;
const RUN_MS = 36_000;
/** The leader serves every request; a follower only replicates. */
const WORK = { leaderWorkPct: 40, followerWorkPct: 2, sampleEveryMs: 500 };
const SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);

function loadedCluster(seed: number, backgrounds: number[]) {
  const cluster = new SimCluster({
    size: backgrounds.length,
    seed,
    timing: TIMING,
    cpu: backgrounds,
    network: { minLatencyMs: 1, maxLatencyMs: 10 },
  });
  const load = new OwnWorkLoad(cluster, { backgrounds, ...WORK });
  load.start(RUN_MS);
  return { cluster, load };
}

/** Each leader in turn, with when it won; consecutive terms of one leader count once. */
function reigns(cluster: SimCluster): Array<{ leader: NodeId; at: number }> {
  const out: Array<{ leader: NodeId; at: number }> = [];
  for (const { leader, at } of cluster.safety.leaderHistory) {
    if (out.at(-1)?.leader !== leader) out.push({ leader, at });
  }
  return out;
}

function describeReigns(cluster: SimCluster): string {
  return reigns(cluster)
    .map((r) => `${r.leader}@${r.at.toFixed(0)}`)
    .join(' ');
}

describe('load-aware leadership when the leader is busier only because it leads', () => {
  it('with equal backgrounds, changes leader at most once in 36 s', () => {
    const flapping: string[] = [];
    for (const seed of SEEDS) {
      const { cluster } = loadedCluster(seed, [30, 30, 30]);
      cluster.runUntil(RUN_MS);
      expect(cluster.safety.violations).toEqual([]);
      const changes = reigns(cluster).length - 1;
      if (changes > 1)
        flapping.push(`seed=${seed}: ${changes} changes: ${describeReigns(cluster)}`);
    }
    expect(flapping).toEqual([]);
  });

  it.each([
    [70, 'the other follower is as busy as the leader'],
    [25, 'the other follower is lighter than the leader but busier than it'],
  ])(
    'moves to a truly lighter machine within two leader terms and stays (other at %i: %s)',
    (other) => {
      const wrong: string[] = [];
      for (const seed of SEEDS) {
        const { cluster, load } = loadedCluster(seed, [70, 70, 70]);
        const leader = cluster.runUntilAgreedLeader();
        cluster.runFor(2000);
        const [lighter, second] = cluster.ids.filter((id) => id !== leader).reverse();
        const droppedAt = cluster.now;
        load.setBackground(lighter, 5);
        load.setBackground(second, other);
        cluster.runUntil(RUN_MS);
        expect(cluster.safety.violations).toEqual([]);
        const after = reigns(cluster).filter((r) => r.at > droppedAt);
        const moved = after[0]?.leader === lighter && after[0].at <= droppedAt + 2 * TERM_MS;
        if (!moved || after.length !== 1 || cluster.agreedLeader() !== lighter) {
          wrong.push(
            `seed=${seed}: ${lighter} lighter from ${droppedAt.toFixed(0)}: ${describeReigns(cluster)}`,
          );
        }
      }
      expect(wrong).toEqual([]);
    },
  );
});
