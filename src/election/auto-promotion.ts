import type { Status } from './consensus/core-output';
import { promotionGap } from './consensus/membership-guard';

/** A learner must be caught up and reachable this long before it is promoted on its own. */
export const AUTO_PROMOTE_STABLE_MS = 3_000;

/**
 * `auto_promote`: which learner the leader should promote now, if any. A learner qualifies
 * while it is within PROMOTE_WITHIN_ENTRIES of the leader (having acknowledged some of its log,
 * as a manual promotion requires: promotionGap) and heard from within the election
 * timeout; `stableSince` remembers since when each has qualified without a break (updated here),
 * and the first to have qualified for AUTO_PROMOTE_STABLE_MS is due. Pure: time comes in `now`.
 */
export function learnerDueForPromotion(
  s: Status,
  stableSince: Map<string, number>,
  now: number,
  reachableWithinMs: number,
): string | null {
  if (s.role !== 'leader' || !s.leaseValid) {
    stableSince.clear();
    return null;
  }
  const learners = new Set(s.membership.learners);
  for (const node of stableSince.keys()) if (!learners.has(node)) stableSince.delete(node);
  let due: { node: string; since: number } | null = null;
  for (const peer of s.peers) {
    if (!learners.has(peer.id)) continue;
    const caughtUp = promotionGap(s.lastIndex, peer.matchIndex ?? 0) === null;
    const reachable = peer.lastContact !== null && now - peer.lastContact < reachableWithinMs;
    if (!caughtUp || !reachable) {
      stableSince.delete(peer.id);
      continue;
    }
    const since = stableSince.get(peer.id) ?? now;
    stableSince.set(peer.id, since);
    if (now - since >= AUTO_PROMOTE_STABLE_MS && (due === null || since < due.since)) {
      due = { node: peer.id, since };
    }
  }
  return due?.node ?? null;
}
