import { Prng } from './sim/prng';
import { SimCluster } from './sim/sim-cluster';

const LOADS = [10, 30, 50, 70, 90];
const RUNS = 200;

/** The first leader of each seeded cold start, and who was least loaded. */
function coldStarts(size: number, loadsFor: (rng: Prng) => number[]) {
  const outcomes: Array<{ seed: number; first: string; expected: string }> = [];
  for (let seed = 1; seed <= RUNS; seed++) {
    const rng = new Prng(seed);
    const cpu = loadsFor(rng);
    const cluster = new SimCluster({
      size,
      seed: rng.fork(),
      cpu,
      network: { minLatencyMs: 1, maxLatencyMs: 20, dropRate: 0.02 },
    });
    cluster.runUntilTrue(() => cluster.safety.leaderHistory.length > 0, 60_000);
    const first = cluster.safety.leaderHistory[0]?.leader ?? 'none';
    // Lowest load wins; the lower address breaks ties (ids are in address order).
    const expected = cluster.ids[cpu.indexOf(Math.min(...cpu))];
    outcomes.push({ seed, first, expected });
  }
  return outcomes;
}

/** Passes when at most 5% missed; otherwise lists the missing seeds so they can be replayed. */
function expectVastMajority(outcomes: ReturnType<typeof coldStarts>): void {
  const misses = outcomes.filter((o) => o.first !== o.expected);
  const report = misses.map((m) => `seed=${m.seed}: ${m.first} led first, not ${m.expected}`);
  expect(misses.length <= outcomes.length * 0.05 ? [] : report).toEqual([]);
}

describe('load-aware election from a cold start', () => {
  it.each([3, 5])('elects the least loaded of %i nodes in the vast majority of runs', (size) => {
    expectVastMajority(coldStarts(size, (rng) => rng.shuffle(LOADS.slice(0, size))));
  });

  it('with equal loads, elects the lowest address in the vast majority of runs', () => {
    expectVastMajority(coldStarts(3, () => [50, 50, 50]));
  });
});
