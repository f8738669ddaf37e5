import type { Prng } from './prng';

/** The two membership kinds in the fault deck: one tends to grow the voters, one to shrink them. */
export const MEMBER_KINDS = ['member-grow', 'member-shrink'] as const;
export type MemberKind = (typeof MEMBER_KINDS)[number];

/** Fewer voters than this and a single fault could stop the cluster: the schedule never goes below. */
export const MIN_VOTERS = 3;
/** Members (voters and learners) beyond the starting nodes: each one is another process on the box. */
export const MAX_EXTRA_MEMBERS = 2;

/** The runner's view of the membership when it plans a step. */
export interface MembershipState {
  voters: readonly number[];
  learners: readonly number[];
  /** Slots never started yet: new machines at new addresses, used once each. */
  unusedSlots: readonly number[];
  /** Slots a process fault or another step is working on: not a target now. */
  busy: ReadonlySet<number>;
  /** The nodes the run started with: the members stay within nodes + MAX_EXTRA_MEMBERS. */
  nodes: number;
  leader: number | null;
}

/**
 * One membership step: `add` a new machine as a learner (start it with JOIN), `promote` a
 * learner, `remove` a member, or `replace` one (kill -9 it, remove it, add and promote a new
 * machine in its place); `none` when nothing fits, with why.
 */
export type MemberStep =
  | { action: 'add' | 'promote' | 'remove' | 'replace'; node: number; leader: boolean }
  | { action: 'none'; why: string };

/**
 * Chooses a membership step from the seed and the state, within the bounds: never fewer than
 * MIN_VOTERS voters (a replace, which passes through one voter fewer, needs one more), never
 * more members than nodes + MAX_EXTRA_MEMBERS, each new machine at an address never used.
 * A grow step promotes a waiting learner before it adds another; a shrink step at the floor
 * grows instead and a grow step at the ceiling shrinks instead, so every step changes something.
 */
export function planMemberStep(kind: MemberKind, s: MembershipState, rng: Prng): MemberStep {
  const first = kind === 'member-grow' ? grow(s, rng) : shrink(s, rng);
  if (first.action !== 'none') return first;
  const second = kind === 'member-grow' ? shrink(s, rng) : grow(s, rng);
  return second.action !== 'none' ? second : { action: 'none', why: `${first.why}; ${second.why}` };
}

function grow(s: MembershipState, rng: Prng): MemberStep {
  const learner = s.learners.find((n) => !s.busy.has(n));
  // Now and then a learner is removed instead: a change of a non-voter.
  if (learner !== undefined) {
    return rng.chance(0.2)
      ? { action: 'remove', node: learner, leader: false }
      : { action: 'promote', node: learner, leader: false };
  }
  if (s.voters.length + s.learners.length >= s.nodes + MAX_EXTRA_MEMBERS)
    return { action: 'none', why: `${s.nodes + MAX_EXTRA_MEMBERS} members already` };
  if (s.unusedSlots.length === 0) return { action: 'none', why: 'no spare slot left' };
  return { action: 'add', node: s.unusedSlots[0], leader: false };
}

function shrink(s: MembershipState, rng: Prng): MemberStep {
  if (s.voters.length <= MIN_VOTERS)
    return { action: 'none', why: `only ${s.voters.length} voters` };
  const idle = s.voters.filter((n) => !s.busy.has(n));
  if (idle.length === 0) return { action: 'none', why: 'every voter is busy' };
  const leaderIdle = s.leader !== null && idle.includes(s.leader);
  const node = leaderIdle && rng.chance(0.5) ? s.leader! : rng.pick(idle);
  // A replace passes through one voter fewer: above the floor, as checked, it stays at it.
  const action = s.unusedSlots.length > 0 && rng.chance(0.5) ? 'replace' : 'remove';
  return { action, node, leader: node === s.leader };
}
