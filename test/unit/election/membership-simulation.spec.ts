import { CALM_PROPOSALS, describeFailure, runRandomScenario } from './sim/random-scenario';
import { DEFAULT_TIMING } from './sim/timing';

/**
 * Membership changes (add a learner or a voter, promote, remove, the leader included) under
 * the random faults of random-faults-*.spec.ts, in a 5-node simulator whose cluster starts with
 * 3 voters: election safety (one leader per term, one lease at a time, one vote per term), log
 * matching, no committed entry lost, every acknowledged entry on every member once healed, and
 * a leader within the liveness bound. MEMBERSHIP_RUNS seeds (default 120); a failure names its
 * seed, replayed with its trace by MEMBERSHIP_SEED=<seed> npx jest membership-simulation.
 */
const RUNS = Number(process.env.MEMBERSHIP_RUNS ?? 120);
const REPLAY = process.env.MEMBERSHIP_SEED;
const SIZE = 5;
const OPTIONS = {
  faultMs: 40_000,
  livenessBoundMs: 10 * DEFAULT_TIMING.electionTimeoutMaxMs,
  proposeEveryMs: 500,
  compactEvery: 20,
  convergeBoundMs: 10 * DEFAULT_TIMING.electionTimeoutMaxMs,
  membership: { voters: 3, changeEveryMs: 2_000 },
};

(REPLAY === undefined ? describe : describe.skip)('membership changes under random faults', () => {
  it(`${RUNS} seeded runs keep election and log safety, and converge`, () => {
    const failures: string[] = [];
    let appended = 0;
    let handovers = 0;
    const refused = new Map<string, number>();
    for (let seed = 1; seed <= RUNS; seed++) {
      const result = runRandomScenario(seed, SIZE, OPTIONS);
      if (result.violations.length > 0 || result.recoveredAfterMs === null) {
        failures.push(describeFailure(result));
      } else if (result.acknowledged < CALM_PROPOSALS) {
        failures.push(`seed=${seed}: only ${result.acknowledged} acknowledged`);
      }
      appended += result.membership!.appended;
      handovers += result.membership!.leaderHandovers;
      for (const [why, n] of Object.entries(result.membership!.refused)) {
        refused.set(why, (refused.get(why) ?? 0) + n);
      }
    }
    expect(failures).toEqual([]);
    // The runs did change the membership, and met each guard rail, not just the happy path.
    expect(appended).toBeGreaterThanOrEqual(RUNS * 3);
    expect(handovers).toBeGreaterThanOrEqual(Math.ceil(RUNS / 10));
    for (const why of ['in-flight', 'unsafe', 'behind', 'no-own-term-commit']) {
      expect([why, refused.get(why) ?? 0]).not.toEqual([why, 0]);
    }
  }, 120_000);
});

(REPLAY !== undefined ? describe : describe.skip)('membership changes, one replayed seed', () => {
  it(`seed ${REPLAY ?? '(none)'}`, () => {
    const result = runRandomScenario(Number(REPLAY), SIZE, { ...OPTIONS, trace: true });
    console.log(result.trace?.join('\n'));
    console.log(JSON.stringify(result.membership));
    expect(result.violations).toEqual([]);
    expect(result.recoveredAfterMs).not.toBeNull();
  });
});
