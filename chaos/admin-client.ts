import { now, pause } from './clock';

/** One answer of an admin route, from the slot that gave it, with the runner-clock times. */
export interface AdminAnswer {
  status: number;
  body: Record<string, unknown> | null;
  by: number;
  send: number;
  recv: number;
}

/** What the admin client needs of the cluster: the slots' API URLs and whom to ask first. */
export interface AdminTargets {
  urls: readonly string[];
  /** Slots worth asking (running members), the likely leader first. */
  candidates: () => number[];
  token: string;
}

/** A change is answered once committed; under faults that can take a few election rounds. */
const REQUEST_TIMEOUT_MS = 5_000;
const RETRY_PAUSE_MS = 200;
const MAX_ATTEMPTS = 200;

/**
 * Calls an admin route on the leader, following a follower's 403 (`leader_api`) and retrying
 * what cannot have had an effect: a refused connection, a 403, a 503 saying the new leader has
 * not committed in its own term. Any other answer is returned as it is; a timeout or a reset
 * is returned as null, since the change may have been made.
 */
export async function adminCall(
  t: AdminTargets,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body: unknown,
  deadline: number,
): Promise<AdminAnswer | null> {
  let hint: number | null = null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS && now() < deadline; attempt++) {
    const candidates = t.candidates();
    if (candidates.length === 0) return null;
    const slot = hint ?? candidates[attempt % candidates.length];
    hint = null;
    const send = now();
    let res: Response;
    try {
      res = await fetch(`${t.urls[slot]}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${t.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      // Refused: nothing was sent. Anything else, for a change, may have reached the leader.
      if (method === 'GET' || refused(err)) {
        await pause(RETRY_PAUSE_MS);
        continue;
      }
      return null;
    }
    const answer = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    const recv = now();
    if (res.status === 403 && typeof answer?.leader_api === 'string') {
      const next = t.urls.indexOf(answer.leader_api.replace(/\/+$/, ''));
      hint = next >= 0 ? next : null;
      if (hint === null) await pause(RETRY_PAUSE_MS);
      continue;
    }
    if (res.status === 403 || (res.status === 503 && retryable(method, answer))) {
      await pause(RETRY_PAUSE_MS);
      continue;
    }
    return { status: res.status, body: answer, by: slot, send, recv };
  }
  return null;
}

/**
 * A 503 that says nothing was changed: a node that knows no leader (NoLeaderError, from the
 * route's guard), or a leader not ready for changes. Not "does not hold its lease": a leader
 * that appended the change and then lost its lease answers that too.
 */
function retryable(method: string, body: Record<string, unknown> | null): boolean {
  const message = typeof body?.message === 'string' ? body.message : '';
  return (
    method === 'GET' ||
    body?.reason === 'no-own-term-commit' ||
    message.includes('no leader is known yet')
  );
}

function refused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } })?.cause;
  return cause?.code === 'ECONNREFUSED';
}
