import type { TestCluster } from '../test/support/cluster';
import { waitFor } from '../test/support/poll';
import type { Recorder } from './recorder';
import { recordingFetch } from './recording-fetch';

interface LogPosition {
  last_index: number;
  commit_index: number;
  applied_index: number;
}

interface FullHealth {
  is_leader: boolean;
  term: number;
  log: LogPosition;
}

/** One node's registry as it served /users while leading, after it applied everything. */
export interface NodeRegistry {
  node: number;
  term: number | null;
  /** username -> user_ids listed for it (more than one is itself a violation). */
  users: Map<string, string[]> | null;
  error: string | null;
}

export interface Verification {
  /** The leader's last index once it had committed all of it: every acked entry is at or below. */
  target: number | null;
  registries: NodeRegistry[];
  error: string | null;
}

const SETTLE_TIMEOUT_MS = 60_000;
const LEAD_TIMEOUT_MS = 60_000;

async function health(url: string): Promise<FullHealth | null> {
  try {
    const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
    return (await res.json()) as FullHealth;
  } catch {
    return null;
  }
}

/**
 * Reads every member's registry (every node, without membership faults) through its own /users.
 * /users is leader-only, so each node is made leader in turn with the load files (the least loaded node gets leadership transferred to
 * it). A node's answer counts only once it has applied the whole log the cluster had committed
 * when everything was healed, so a missing registration is missing, not late.
 */
export async function verifyRegistrations(
  cluster: TestCluster,
  recorder: Recorder,
  log: (line: string) => void,
  members: readonly number[] = cluster.ids.map((_, i) => i),
): Promise<Verification> {
  const allUrls = cluster.ids.map((_, i) => cluster.url(i));
  const nodeOf = (base: string) => allUrls.indexOf(base);
  const recorded = recordingFetch(recorder, nodeOf, 'verify');
  let target: number;
  try {
    const leader = await cluster.waitForLeader([...members], SETTLE_TIMEOUT_MS);
    // A new leader's commit index can trail what was committed before it until it commits an
    // entry of its own term; once commit reaches its last index, that covers everything acked.
    target = await waitFor(
      'the leader to commit its whole log and every node to apply it',
      async () => {
        const hs = await Promise.all(members.map((i) => health(allUrls[i])));
        const lead = hs[members.indexOf(leader)];
        if (!lead?.is_leader || lead.log.commit_index < lead.log.last_index) return undefined;
        const t = lead.log.last_index;
        return hs.every((h) => h !== null && h.log.applied_index >= t) ? t : undefined;
      },
      SETTLE_TIMEOUT_MS,
    );
  } catch (err) {
    return { target: null, registries: [], error: (err as Error).message };
  }
  log(`healed: every node applied the log up to index ${target}; reading each node's /users`);
  const registries: NodeRegistry[] = [];
  for (const i of members) {
    for (const k of members) cluster.setLoad(k, k === i ? 0 : 100);
    try {
      const { term, users } = await waitFor(
        `node ${i} to lead and serve /users after applying index ${target}`,
        async () => {
          const h = await health(allUrls[i]);
          if (!h?.is_leader || h.log.applied_index < target) return undefined;
          const res = await recorded(`${allUrls[i]}/users`, { signal: AbortSignal.timeout(5000) });
          if (res.status !== 200) return undefined;
          const body = (await res.json()) as { users: { username: string; user_id: string }[] };
          const map = new Map<string, string[]>();
          for (const u of body.users)
            map.set(u.username, [...(map.get(u.username) ?? []), u.user_id]);
          return { term: Number(res.headers.get('rollcall-term')), users: map };
        },
        LEAD_TIMEOUT_MS,
        100,
      );
      registries.push({ node: i, term, users, error: null });
      log(`node ${i} leads term ${term}: /users lists ${users.size} usernames`);
    } catch (err) {
      registries.push({ node: i, term: null, users: null, error: (err as Error).message });
      log(`node ${i}: ${(err as Error).message}`);
    }
  }
  return { target, registries, error: null };
}
