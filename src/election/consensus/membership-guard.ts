import type { NodeId } from './messages';
import { majorityOf } from './quorum';
import { applyChange, type MembershipChange, type MembershipConfig, roleIn } from './membership';

/** A learner is promoted only when at most this many entries behind the leader. */
export const PROMOTE_WITHIN_ENTRIES = 10;

/**
 * How many entries a learner is short of promotion, or null when it may be promoted: it must
 * hold the leader's log to within PROMOTE_WITHIN_ENTRIES, and have acknowledged some of it
 * (`matchIndex` > 0: heard from since this leader took over, its log or snapshot matching).
 * A learner that never answered has match 0, which a short log alone would put within bounds.
 */
export function promotionGap(lastIndex: number, matchIndex: number): number | null {
  const behind = Math.max(0, lastIndex - matchIndex);
  return matchIndex > 0 && behind <= PROMOTE_WITHIN_ENTRIES ? null : behind;
}

/**
 * Why a change was refused. `not-leader` and `no-own-term-commit` are passing states (retry
 * soon); `leader` means the change removes the leader, which must hand over first.
 */
export type ChangeRefusal =
  | { reason: 'not-leader' | 'no-own-term-commit'; message: string }
  | { reason: 'in-flight' | 'unsafe' | 'invalid' | 'unknown' | 'leader'; message: string }
  | { reason: 'behind'; message: string; behind: number };

/** What the leader knows when it judges a change. */
export interface ChangeContext {
  config: MembershipConfig;
  leader: NodeId;
  lastIndex: number;
  commit: number;
  /** Whether the leader's latest committed entry is of its own term (the known bug's fix). */
  committedOwnTerm: boolean;
  matchIndex: (node: NodeId) => number;
  /** Answered within the election timeout (the leader itself always is). */
  reachable: (node: NodeId) => boolean;
}

/**
 * etcd's strict reconfiguration check, as one function: refuses a change that could leave the
 * voters without a reachable majority, a change while another is in flight, and a promotion
 * of a learner still catching up. Returns the configuration to append, or the refusal.
 */
export function judgeChange(
  ctx: ChangeContext,
  change: MembershipChange,
): Omit<MembershipConfig, 'index'> | ChangeRefusal {
  const { config } = ctx;
  if (!ctx.committedOwnTerm) {
    return {
      reason: 'no-own-term-commit',
      message: 'the leader has not yet committed an entry of its own term; retry shortly',
    };
  }
  if (config.index > ctx.commit) {
    return {
      reason: 'in-flight',
      message: `the change at log index ${config.index} is not committed yet: one change at a time`,
    };
  }
  if (change.kind === 'remove' && change.node === ctx.leader) {
    return { reason: 'leader', message: `${change.node} leads: it hands over first` };
  }
  const next = applyChange(config, change);
  if ('invalid' in next) return { reason: 'invalid', message: next.invalid };
  if ('unknown' in next) return { reason: 'unknown', message: `${next.unknown} is not a member` };
  const unsafe = checkReachable(ctx, change, next);
  if (unsafe !== null) return unsafe;
  if (change.kind === 'promote') {
    const behind = promotionGap(ctx.lastIndex, ctx.matchIndex(change.node));
    if (behind !== null) {
      const bound = `at most ${PROMOTE_WITHIN_ENTRIES} to be promoted`;
      const message =
        ctx.matchIndex(change.node) === 0
          ? `${change.node} has acknowledged none of the leader's log yet (${behind} entries behind, ${bound}): is it running? wait for it to catch up`
          : `${change.node} is ${behind} entries behind the leader (${bound}); wait for it to catch up`;
      return { reason: 'behind', behind, message };
    }
  }
  return next;
}

function checkReachable(
  ctx: ChangeContext,
  change: MembershipChange,
  next: Omit<MembershipConfig, 'index'>,
): ChangeRefusal | null {
  const addsVoter = next.voters.length > ctx.config.voters.length;
  const down = ctx.config.voters.filter((v) => !ctx.reachable(v));
  if (addsVoter && down.length > 0) {
    return {
      reason: 'unsafe',
      message: `adding a voter while ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} unreachable would raise the majority beyond the voters that can answer; remove or restore ${down.length === 1 ? 'it' : 'them'} first`,
    };
  }
  const reachable = next.voters.filter((v) => ctx.reachable(v)).length;
  const needed = majorityOf(next.voters.length);
  if (reachable < needed) {
    const what =
      change.kind === 'remove' && roleIn(ctx.config, change.node) === 'voter'
        ? `removing ${change.node}`
        : 'this change';
    return {
      reason: 'unsafe',
      message: `${what} would leave ${reachable} reachable of ${next.voters.length} voters, fewer than the majority of ${needed}`,
    };
  }
  return null;
}
