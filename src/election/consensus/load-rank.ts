import type { NodeId } from './messages';

/**
 * A node's CPU load, 0..100 each. `machine` is the whole machine's; `background` is that minus
 * the node's own rollcall process, the load that stays when leadership moves. Every comparison
 * uses `background`: the work of leading moves with leadership, so it is no reason to move it.
 * `machine` is carried for operators (GET /cluster) and for peers of the previous version.
 */
export interface NodeLoad {
  machine: number;
  background: number;
}

/**
 * How many members should campaign before this one: those with a lower load, or the same load
 * and a lower address. A member whose load is unknown counts as loaded like this one.
 */
export function loadRank(
  self: NodeId,
  selfCpu: number,
  others: readonly NodeId[],
  knownCpu: ReadonlyMap<NodeId, number>,
): number {
  let rank = 0;
  for (const peer of others) {
    const cpu = knownCpu.get(peer) ?? selfCpu;
    if (cpu < selfCpu || (cpu === selfCpu && peer < self)) rank++;
  }
  return rank;
}

/** Lowest load wins; equal loads go to the lower address. */
export function isLessLoaded(a: NodeId, aCpu: number, b: NodeId, bCpu: number): boolean {
  return aCpu < bCpu || (aCpu === bCpu && a < b);
}
