import { parseArgs } from '../../../chaos/args';
import {
  MAX_EXTRA_MEMBERS,
  MIN_VOTERS,
  type MemberKind,
  type MembershipState,
  planMemberStep,
} from '../../../chaos/membership-plan';
import { Prng } from '../../../chaos/prng';

/** The schedule's membership steps: seeded, and always within the bounds. */
describe('chaos membership plan', () => {
  const state = (over: Partial<MembershipState> = {}): MembershipState => ({
    voters: [0, 1, 2, 3, 4],
    learners: [],
    unusedSlots: [5, 6, 7],
    busy: new Set(),
    nodes: 5,
    leader: 0,
    ...over,
  });

  it('grows by adding the next new address as a learner, then by promoting it', () => {
    expect(planMemberStep('member-grow', state(), new Prng(1))).toEqual({
      action: 'add',
      node: 5,
      leader: false,
    });
    const steps = Array.from({ length: 50 }, (_, seed) =>
      planMemberStep('member-grow', state({ learners: [5], unusedSlots: [6, 7] }), new Prng(seed)),
    );
    // A waiting learner is promoted (or, now and then, removed) before anything is added.
    expect(new Set(steps.map((s) => s.action))).toEqual(new Set(['promote', 'remove']));
    expect(steps.every((s) => s.action !== 'none' && s.node === 5)).toBe(true);
  });

  it('shrinks by removing or replacing a voter, the leader among them', () => {
    const steps = Array.from({ length: 60 }, (_, seed) =>
      planMemberStep('member-shrink', state(), new Prng(seed)),
    );
    expect(new Set(steps.map((s) => s.action))).toEqual(new Set(['remove', 'replace']));
    const leaderSteps = steps.filter((s) => s.action !== 'none' && s.leader);
    expect(leaderSteps.length).toBeGreaterThan(0);
    expect(leaderSteps.every((s) => s.action !== 'none' && s.node === 0)).toBe(true);
  });

  it('grows instead at the floor of voters, and shrinks instead at the ceiling of members', () => {
    const atFloor = state({ voters: [0, 1, 2] });
    expect(planMemberStep('member-shrink', atFloor, new Prng(3))).toMatchObject({ action: 'add' });
    const atCeiling = state({ voters: [0, 1, 2, 3, 4, 5, 6], unusedSlots: [7] });
    expect(planMemberStep('member-grow', atCeiling, new Prng(3)).action).toMatch(
      /^(remove|replace)$/,
    );
    expect(
      planMemberStep('member-shrink', state({ voters: [0, 1, 2], unusedSlots: [] }), new Prng(3)),
    ).toEqual({ action: 'none', why: 'only 3 voters; no spare slot left' });
  });

  it('never targets a busy node', () => {
    const busy = state({ busy: new Set([0, 1, 2, 3]) });
    for (let seed = 0; seed < 30; seed++) {
      expect(planMemberStep('member-shrink', busy, new Prng(seed))).toMatchObject({ node: 4 });
    }
  });

  it('keeps every state it leads to within the bounds, over many seeded walks', () => {
    for (let seed = 0; seed < 200; seed++) {
      const rng = new Prng(seed);
      let voters = [0, 1, 2, 3, 4];
      let learners: number[] = [];
      const unused = [5, 6, 7, 8, 9, 10];
      for (let step = 0; step < 40; step++) {
        const kind: MemberKind = rng.chance(0.5) ? 'member-grow' : 'member-shrink';
        const s = planMemberStep(
          kind,
          { voters, learners, unusedSlots: unused, busy: new Set(), nodes: 5, leader: voters[0] },
          rng,
        );
        if (s.action === 'add') learners = [...learners, unused.shift()!];
        if (s.action === 'promote') {
          learners = learners.filter((n) => n !== s.node);
          voters = [...voters, s.node];
        }
        if (s.action === 'remove' || s.action === 'replace') {
          voters = voters.filter((n) => n !== s.node);
          learners = learners.filter((n) => n !== s.node);
          // A replace passes through here, one voter fewer, before its new machine is added.
          expect(voters.length).toBeGreaterThanOrEqual(MIN_VOTERS);
        }
        if (s.action === 'replace') voters = [...voters, unused.shift()!];
        expect(voters.length).toBeGreaterThanOrEqual(MIN_VOTERS);
        expect(voters.length + learners.length).toBeLessThanOrEqual(5 + MAX_EXTRA_MEMBERS);
      }
    }
  });

  it('follows from the seed alone', () => {
    const walk = (seed: number) => {
      const rng = new Prng(seed);
      return Array.from({ length: 20 }, (_, k) =>
        planMemberStep(k % 2 ? 'member-grow' : 'member-shrink', state(), rng),
      );
    };
    expect(walk(7)).toEqual(walk(7));
  });
});

describe('chaos runner arguments', () => {
  it('turns membership faults on with spare slots by the run length, or as given', () => {
    expect(parseArgs([])).toMatchObject({ membership: false, spares: 0 });
    expect(parseArgs(['--membership', '--seconds', '300'])).toMatchObject({
      membership: true,
      spares: 10,
    });
    expect(parseArgs(['--membership', '--seconds=30'])).toMatchObject({ spares: 2 });
    expect(parseArgs(['--membership', '--spares', '4'])).toMatchObject({ spares: 4 });
  });

  it('refuses spares without membership faults, and bad numbers', () => {
    expect(() => parseArgs(['--spares', '3'])).toThrow(/--spares needs --membership/);
    expect(() => parseArgs(['--membership', '--spares', '-1'])).toThrow(/whole number/);
    expect(() => parseArgs(['--member'])).toThrow(/unknown argument --member/);
  });
});
