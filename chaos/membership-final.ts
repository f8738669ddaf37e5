import type { TestCluster } from '../test/support/cluster';
import { adminCall } from './admin-client';
import { now } from './clock';
import { type MembershipHistory, type OwnRoleSeen, memberListOf } from './membership-history';

const FINAL_BUDGET_MS = 30_000;

/**
 * After healing and verification: the leader's member list, and what every running node (members, and removed
 * nodes still up) says of its own place in the membership, for the final-agreement check.
 */
export async function recordFinalMembership(
  cluster: TestCluster,
  history: MembershipHistory,
  members: readonly number[],
  token: string,
): Promise<void> {
  const urls = cluster.ids.map((_, i) => cluster.url(i));
  const running = () => urls.map((_, i) => i).filter((i) => cluster.nodes[i]?.running);
  const answer = await adminCall(
    { urls, candidates: () => running().filter((i) => members.includes(i)), token },
    'GET',
    '/cluster/members',
    undefined,
    now() + FINAL_BUDGET_MS,
  );
  if (answer?.status === 200) {
    // Read after the verification saw a leader commit its whole log and every member apply it,
    // with no change asked for since: the membership in it is committed.
    history.final.list = memberListOf(answer, cluster.ids, true);
    history.lists.push(history.final.list);
  }
  history.final.own = await Promise.all(running().map((i) => ownRole(i, urls[i])));
}

async function ownRole(node: number, url: string): Promise<OwnRoleSeen> {
  try {
    const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
    const h = (await res.json()) as { membership?: { role?: string; config_index?: number } };
    const role = h.membership?.role;
    return {
      node,
      role: role === 'voter' || role === 'learner' || role === 'removed' ? role : null,
      configIndex: h.membership?.config_index ?? null,
    };
  } catch {
    return { node, role: null, configIndex: null };
  }
}
