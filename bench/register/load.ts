import { type HttpAnswer, keepAliveAgent, loopbackRequest } from '../lib/loopback-http';
import { quantile } from '../lib/stats';
import { now, sleep } from '../lib/time';

export interface LoadPlan {
  /** Concurrent clients, each with one registration in flight at a time. */
  clients: number;
  warmupMs: number;
  windowMs: number;
  /** The window also ends once this many registrations were answered 200 in it. */
  maxRegistrations: number;
  requestTimeoutMs: number;
  /** Prefix of every username of this load, so that two loads never share a name. */
  namePrefix: string;
  /** The CA to trust when the nodes serve HTTPS (API TLS), or null for plain HTTP. */
  ca: Buffer | null;
}

export interface LoadResult {
  /** Registrations answered 200 inside the measured window. */
  ok: number;
  /** Length of the measured window: `windowMs`, or less when `maxRegistrations` ended it. */
  windowMs: number;
  stoppedBy: 'time' | 'count';
  perSecond: number;
  /** Of the 200s inside the window, from sending the request to the end of the answer. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number } | null;
  /** Every answer other than 200 in the window, by status ("error: ECONNRESET" for no answer). */
  non200: Record<string, number>;
  /** The same for the warm-up. */
  warmupNon200: Record<string, number>;
  warmupOk: number;
  /** 200s from start to finish (warm-up, window, and answers that arrived after it). */
  totalOk: number;
  /** Requests sent from start to finish. */
  totalSent: number;
  /** Each time the clients moved to another node (a 403's leader_api, or a new search). */
  leaderMoves: { atMs: number; toPort: number; why: string }[];
}

/** What the load hands to `onWindow` at the start and end of the measured window. */
export type WindowHook = (edge: 'start' | 'end') => void;

function leaderPortOf(body: string): number | null {
  try {
    const api = (JSON.parse(body) as { leader_api?: unknown }).leader_api;
    if (typeof api !== 'string') return null;
    const port = Number(new URL(api).port);
    return Number.isInteger(port) && port > 0 ? port : null;
  } catch {
    return null;
  }
}

/**
 * `plan.clients` clients, each registering one unique username after another against the leader
 * over its own keep-alive connection: a warm-up, then the measured window. A 403 sends every
 * client to its leader_api; a 503 or a failed connection makes them look for the leader again
 * (`findLeader`) after a short pause. Every non-200 is counted by status.
 */
export async function runLoad(
  plan: LoadPlan,
  leaderPort: number,
  findLeader: () => Promise<number | null>,
  onWindow: WindowHook = () => undefined,
): Promise<LoadResult> {
  const agent = keepAliveAgent(plan.clients, plan.ca);
  const latencies = new Float64Array(plan.maxRegistrations);
  const non200: Record<string, number> = {};
  const warmupNon200: Record<string, number> = {};
  const leaderMoves: LoadResult['leaderMoves'] = [];
  let port = leaderPort;
  let ok = 0;
  let warmupOk = 0;
  let totalOk = 0;
  let totalSent = 0;
  let searching: Promise<void> | null = null;

  const t0 = now();
  const windowStart = t0 + plan.warmupMs;
  let windowEnd = windowStart + plan.windowMs;
  let stoppedBy: LoadResult['stoppedBy'] = 'time';
  let started = false;
  let ended = false;
  const endWindow = (at: number, why: LoadResult['stoppedBy']) => {
    if (ended) return;
    ended = true;
    windowEnd = Math.min(windowEnd, at);
    stoppedBy = why;
    onWindow('end');
  };
  const startTimer = setTimeout(() => {
    started = true;
    onWindow('start');
  }, plan.warmupMs);
  const endTimer = setTimeout(() => endWindow(now(), 'time'), plan.warmupMs + plan.windowMs);

  const moveTo = (to: number, why: string) => {
    if (to === port) return;
    port = to;
    leaderMoves.push({ atMs: Math.round(now() - t0), toPort: to, why });
  };
  const search = () => {
    searching ??= (async () => {
      await sleep(50);
      const found = await findLeader().catch(() => null);
      if (found !== null) moveTo(found, 'search after 503 or connection error');
      searching = null;
    })();
    return searching;
  };

  const client = async (c: number) => {
    // Bounded in count as well as time: a loop cannot outlive its window even if the clock stalls.
    for (let seq = 0; seq < plan.maxRegistrations * 4 + 1000; seq++) {
      const sentAt = now();
      if (ended || sentAt >= windowEnd) return;
      const username = `${plan.namePrefix}c${c}-${seq}`;
      const body = Buffer.from(
        JSON.stringify({ username, addr: `10.${c >> 8}.${c & 255}.1:${9000 + (seq % 1000)}` }),
      );
      const target = port;
      totalSent++;
      let status: string;
      let answer: HttpAnswer | null = null;
      try {
        answer = await loopbackRequest(
          target,
          'POST',
          '/register',
          plan.requestTimeoutMs,
          body,
          agent,
        );
        status = String(answer.status);
      } catch (err) {
        status = `error: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      }
      const doneAt = now();
      const inWindow = doneAt >= windowStart && doneAt <= windowEnd && !ended;
      if (status === '200') {
        totalOk++;
        if (inWindow) {
          latencies[ok++] = doneAt - sentAt;
          if (ok >= plan.maxRegistrations) endWindow(doneAt, 'count');
        } else if (doneAt < windowStart) warmupOk++;
        continue;
      }
      const tally = doneAt < windowStart ? warmupNon200 : inWindow ? non200 : null;
      if (tally) tally[status] = (tally[status] ?? 0) + 1;
      const to = answer?.status === 403 ? leaderPortOf(answer.body) : null;
      if (to !== null) moveTo(to, `403 from ${target}`);
      else if (target === port) await search();
      else await sleep(10);
    }
  };

  try {
    await Promise.all(Array.from({ length: plan.clients }, (_, c) => client(c)));
  } finally {
    clearTimeout(startTimer);
    clearTimeout(endTimer);
    agent.destroy();
  }
  if (started) endWindow(now(), stoppedBy);

  const lengthMs = windowEnd - windowStart;
  const sorted = Array.from(latencies.subarray(0, ok)).sort((a, b) => a - b);
  return {
    ok,
    windowMs: lengthMs,
    stoppedBy,
    perSecond: lengthMs > 0 ? (ok * 1000) / lengthMs : 0,
    latencyMs:
      sorted.length === 0
        ? null
        : {
            p50: quantile(sorted, 0.5),
            p90: quantile(sorted, 0.9),
            p99: quantile(sorted, 0.99),
            max: sorted[sorted.length - 1],
            mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
          },
    non200,
    warmupNon200,
    warmupOk,
    totalOk,
    totalSent,
    leaderMoves,
  };
}
