import type { HeartbeatAck } from './recorder';

/**
 * Each client's heartbeat acks, sorted by send time: what both presence checks (checker.ts,
 * follower-reads.ts) search with firstAtOrAfter.
 */
export function acksByClient(acks: readonly HeartbeatAck[]): Map<string, HeartbeatAck[]> {
  const byClient = new Map<string, HeartbeatAck[]>();
  for (const ack of acks) {
    const list = byClient.get(ack.username) ?? [];
    list.push(ack);
    byClient.set(ack.username, list);
  }
  for (const list of byClient.values()) list.sort((a, b) => a.send - b.send);
  return byClient;
}

/** The index of the first ack sent at or after `send` in `sorted` (by send), or its length. */
export function firstAtOrAfter(sorted: readonly { send: number }[], send: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].send < send) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
