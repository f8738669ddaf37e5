import {
  CALM_PROPOSALS,
  describeFailure,
  runRandomScenario,
  type RandomRunOptions,
} from './random-scenario';
import { DEFAULT_TIMING } from './timing';

/**
 * Safety and liveness over many seeded runs with random faults while the leader takes
 * proposals (bursts of 1-5, every ~0.5 s) and every node compacts its log every 20 entries:
 * one leader per term, one lease at a time, votes persisted before sent, no two nodes applying
 * different entries at one index, no committed entry truncated, and, once every node is up on a
 * calm network, every acknowledged entry on every node's log and applied. Every run also
 * proposes CALM_PROPOSALS entries once the faults stop, which must all be acknowledged, so that
 * no run checks log safety on nothing. (That the recorder does fire on a violation is shown in
 * safety-recorder.spec.ts.) One spec file per cluster size, so that Jest's workers run the two
 * sizes side by side. A failure names its seed; replay one with its whole trace:
 *   ELECTION_SEED=<seed> ELECTION_SIZE=<3|5> npx jest test/unit/election/random-faults
 */
const OPTIONS: RandomRunOptions = {
  faultMs: 60_000,
  // "Once a majority can talk and faults stop, a leader exists within 10 election timeouts."
  livenessBoundMs: 10 * DEFAULT_TIMING.electionTimeoutMaxMs,
  proposeEveryMs: 500,
  compactEvery: 20,
  convergeBoundMs: 10 * DEFAULT_TIMING.electionTimeoutMaxMs,
};

/** Seeds 1..`seeds` of one cluster size, split in batches that each stay well under the test timeout. */
function batchesOf(size: number, seeds: number, batches: number) {
  const runs = seeds / batches;
  return Array.from({ length: batches }, (_, b) => ({ size, firstSeed: 1 + b * runs, runs }));
}

/**
 * What a batch of runs found, and how much they exercised: runs in which the faults let nothing
 * be acknowledged, or never moved leadership, check log or election safety on little.
 */
interface BatchOutcome {
  failures: string[];
  noAcknowledgedDuringFaults: number;
  singleTerm: number;
}

function runBatch(size: number, firstSeed: number, runs: number): BatchOutcome {
  const outcome: BatchOutcome = { failures: [], noAcknowledgedDuringFaults: 0, singleTerm: 0 };
  for (let seed = firstSeed; seed < firstSeed + runs; seed++) {
    const result = runRandomScenario(seed, size, OPTIONS);
    if (result.violations.length > 0 || result.recoveredAfterMs === null) {
      outcome.failures.push(describeFailure(result));
    } else if (result.acknowledged < CALM_PROPOSALS) {
      outcome.failures.push(`seed=${seed} size=${size}: only ${result.acknowledged} acknowledged`);
    }
    if (result.acknowledgedDuringFaults === 0) outcome.noAcknowledgedDuringFaults++;
    if (result.terms < 2) outcome.singleTerm++;
  }
  return outcome;
}

/**
 * The random-fault suite for one cluster size: `seeds` seeded runs in `batches` tests, or, with
 * ELECTION_SEED set (and ELECTION_SIZE equal to `size`, 3 by default), that one run with its
 * trace. The suite that has nothing to do is skipped, which Jest reports.
 */
export function describeRandomFaults(size: number, seeds: number, batches: number): void {
  const replaySeed = process.env.ELECTION_SEED;
  const replaying = replaySeed !== undefined && Number(process.env.ELECTION_SIZE ?? 3) === size;
  const batchRuns = replaySeed === undefined;

  (batchRuns ? describe : describe.skip)(`random faults, ${size} nodes`, () => {
    it.each(batchesOf(size, seeds, batches))(
      '$runs runs from seed $firstSeed: election and log safety, recovery, convergence',
      ({ firstSeed, runs }) => {
        const outcome = runBatch(size, firstSeed, runs);
        expect(outcome.failures).toEqual([]);
        // A few runs keep a majority apart the whole time (their safety rests on the calm
        // entries); most must commit under faults and change leaders.
        expect(outcome.noAcknowledgedDuringFaults).toBeLessThanOrEqual(runs * 0.05);
        expect(outcome.singleTerm).toBeLessThanOrEqual(runs * 0.05);
      },
      30_000,
    );
  });

  (replaying ? describe : describe.skip)(`random faults, ${size} nodes, one replayed seed`, () => {
    it(`seed ${replaySeed ?? '(none)'}`, () => {
      const result = runRandomScenario(Number(replaySeed), size, { ...OPTIONS, trace: true });
      console.log(result.trace?.join('\n'));
      expect(result.violations).toEqual([]);
      expect(result.recoveredAfterMs).not.toBeNull();
    });
  });
}
