import { loopbackRequest } from '../lib/loopback-http';
import { quantile } from '../lib/stats';
import { now } from '../lib/time';

export interface LatencySample {
  requests: number;
  /** The `count` every answer carried; null if one answer differed from the others. */
  count: number | null;
  bytes: number;
  non200: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * GET /discover one at a time over one keep-alive connection: `warmup` answers dropped, then up
 * to `requests` timed, stopping early after `maxMs`. One in flight, so each time is the server's
 * answer time plus the loopback transfer, not queueing behind other requests.
 */
export async function discoverLatency(
  port: number,
  warmup: number,
  requests: number,
  maxMs: number,
): Promise<LatencySample> {
  for (let i = 0; i < warmup; i++) await loopbackRequest(port, 'GET', '/discover', 30_000);
  const lat: number[] = [];
  let count: number | null | undefined;
  let bytes = 0;
  let non200 = 0;
  const t0 = now();
  for (let i = 0; i < requests && now() - t0 < maxMs; i++) {
    const t = now();
    const res = await loopbackRequest(port, 'GET', '/discover', 30_000);
    lat.push(now() - t);
    if (res.status !== 200) non200++;
    // The count is near the end: reading it there avoids parsing 100k entries in the timer's way.
    const m = /"count":(\d+)/.exec(res.body.slice(-200));
    const c = m ? Number(m[1]) : null;
    count = count === undefined || count === c ? c : null;
    bytes = res.body.length;
  }
  const sorted = lat.sort((a, b) => a - b);
  return {
    requests: sorted.length,
    count: count ?? null,
    bytes,
    non200,
    p50Ms: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1],
  };
}
