import {
  CALM_PROPOSALS,
  describeFailure,
  runRandomScenario,
  type RandomRunOptions,
} from './sim/random-scenario';
import { DEFAULT_TIMING } from './sim/timing';

/**
 * Safety and liveness over many seeded runs with random faults while the leader takes
 * proposals (bursts of 1-5, every ~0.5 s) and every node compacts its log every 20 entries:
 * one leader per term, one lease at a time, votes persisted before sent, no two nodes applying
 * different entries at one index, no committed entry truncated, and, once every node is up on a
 * calm network, every acknowledged entry on every node's log and applied. Every run also
 * proposes CALM_PROPOSALS entries once the faults stop, which must all be acknowledged, so that
 * no run checks log safety on nothing. (That the recorder does fire on a violation is shown in
 * safety-recorder.spec.ts.) A failure names its seed;
 * replay one with its whole trace:
 *   ELECTION_SEED=<seed> ELECTION_SIZE=<3|5> npx jest test/unit/election/random-faults --selectProjects unit
 */
const OPTIONS: RandomRunOptions = {
  faultMs: 60_000,
  // "Once a majority can talk and faults stop, a leader exists within 10 election timeouts."
  livenessBoundMs: 10 * DEFAULT_TIMING.electionTimeoutMaxMs,
  proposeEveryMs: 500,
  compactEvery: 20,
  convergeBoundMs: 10 * DEFAULT_TIMING.electionTimeoutMaxMs,
};

/** Each batch stays well under the test timeout; batches split the seeds of one cluster size. */
const BATCHES: Array<{ size: number; firstSeed: number; runs: number }> = [];
for (let b = 0; b < 4; b++) BATCHES.push({ size: 3, firstSeed: 1 + b * 500, runs: 500 });
for (let b = 0; b < 6; b++) BATCHES.push({ size: 5, firstSeed: 1 + b * 250, runs: 250 });

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
 * Set ELECTION_SEED (and ELECTION_SIZE) to replay one failing run with its trace. The replay
 * suite is skipped in normal runs because it has no seed to replay; the batches then run instead.
 */
const replaySeed = process.env.ELECTION_SEED;

(replaySeed === undefined ? describe : describe.skip)('random faults', () => {
  it.each(BATCHES)(
    '$size nodes, $runs runs from seed $firstSeed: election and log safety, recovery, convergence',
    ({ size, firstSeed, runs }) => {
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

(replaySeed === undefined ? describe.skip : describe)('random faults, one replayed seed', () => {
  it(`seed ${replaySeed ?? '(none)'}`, () => {
    const size = Number(process.env.ELECTION_SIZE ?? 3);
    const result = runRandomScenario(Number(replaySeed), size, { ...OPTIONS, trace: true });
    console.log(result.trace?.join('\n'));
    expect(result.violations).toEqual([]);
    expect(result.recoveredAfterMs).not.toBeNull();
  });
});
