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
  selfLoad: NodeLoad,
  others: readonly NodeId[],
  known: ReadonlyMap<NodeId, NodeLoad>,
): number {
  let rank = 0;
  for (const peer of others) {
    if (isLessLoaded(peer, known.get(peer) ?? selfLoad, self, selfLoad)) rank++;
  }
  return rank;
}

/** Lowest load wins; equal loads go to the lower address. */
export function isLessLoaded(a: NodeId, aLoad: NodeLoad, b: NodeId, bLoad: NodeLoad): boolean {
  return aLoad.background < bLoad.background || (aLoad.background === bLoad.background && a < b);
}

/** Whether `lighter` is less loaded than `heavier` by more than `hysteresisPct` points. */
export function lighterBeyond(
  lighter: NodeLoad,
  heavier: NodeLoad,
  hysteresisPct: number,
): boolean {
  return heavier.background - lighter.background > hysteresisPct;
}
