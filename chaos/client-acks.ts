import type { HeartbeatAck, OnlineList } from './recorder';

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

/**
 * The one address every ack of a client named, which a list showing it online must give; null
 * when they named more than one (the client moved) or one named none (its registered address,
 * which the acks do not say).
 */
export function oneAddrOf(acks: readonly HeartbeatAck[]): string | null {
  const addr = acks[0]?.addr;
  if (addr === undefined) return null;
  return acks.every((a) => a.addr === addr) ? addr : null;
}

/**
 * How `online` fails to show a client its acks promise: 'missing from', or 'listed at X (its
 * heartbeats named Y) in'; null when it shows it (at `addr`, when that is known).
 */
export function notShown(online: OnlineList, username: string, addr: string | null): string | null {
  const listed = online.get(username);
  if (listed === undefined) return 'missing from';
  if (addr === null || listed === addr) return null;
  return `listed at ${listed} (its heartbeats named ${addr}) in`;
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
