import type { NodeId } from './core-glue';
import { formatTime } from './raft-format';
import type { ScenarioEnv } from './scenario-env';
import type { ScenarioNode } from './scenario-node';

/** More timer events than this in one command means a deadline that never moves: a bug. */
const MAX_TIMER_EVENTS = 100_000;

interface Due {
  at: number;
  node: ScenarioNode;
  /** A core's own deadline (nextDeadline), or the end of the lease it last claimed. */
  kind: 'timer' | 'lease';
}

export interface Advance {
  /** The clock stops here, unless `stopAfter` stops it earlier. */
  until: number;
  /** Whether the network delivers (at once) everything sent, before and after each timer. */
  networkRuns: boolean;
  /** Called after each timer a node handled; true stops the clock there. */
  stopAfter?: (ticked: NodeId) => boolean;
  /** When set, only this node's timer fires: the others' are held back, as if paused. */
  only?: NodeId;
}

/**
 * Moves the clock forward, firing every timer that falls due in time order (ties: a lease
 * runs out before a timer fires, then nodes in id order). A tick that changes nothing prints
 * nothing. Returns the lines to print, and whether `stopAfter` stopped it.
 */
export function advanceClock(env: ScenarioEnv, a: Advance): { lines: string[]; stopped: boolean } {
  const lines: string[] = [];
  const deliverAll = () => (a.networkRuns ? env.deliver(() => true, true) : []);
  lines.push(...deliverAll());
  for (let events = 0; ; events++) {
    if (events > MAX_TIMER_EVENTS) throw new Error('timers fire without end');
    const due = nextDue(env, a.only);
    if (due === null || due.at > a.until) break;
    env.now = Math.max(env.now, due.at);
    if (due.kind === 'lease') {
      lines.push(env.expireLease(due.node));
      continue;
    }
    const effects = tick(env, due.node);
    const delivered = deliverAll();
    if (effects.length + delivered.length > 0) {
      lines.push(`@${formatTime(env.now)} ${due.node.id} ticks`, ...effects, ...delivered);
    }
    if (a.stopAfter?.(due.node.id)) return { lines, stopped: true };
  }
  env.now = Math.max(env.now, a.until);
  return { lines, stopped: false };
}

/** The node's timer fires: what it did, indented under the `@<time> <id> ticks` line. */
function tick(env: ScenarioEnv, node: ScenarioNode): string[] {
  const now = env.now;
  const effects = env.interact(node.id, (core) => core.tick(now));
  if (!(node.core!.nextDeadline() > now)) {
    throw new Error(`${node.id}'s deadline did not move past ${formatTime(now)} when it ticked`);
  }
  return effects.map((l) => `  ${l}`);
}

function nextDue(env: ScenarioEnv, only: NodeId | undefined): Due | null {
  let best: Due | null = null;
  for (const node of env.nodes.values()) {
    if (node.core === null) continue;
    const fires = only === undefined || only === node.id;
    const dues: Due[] = fires ? [{ at: node.core.nextDeadline(), node, kind: 'timer' }] : [];
    if (node.leaseUntil !== null) dues.unshift({ at: node.leaseUntil, node, kind: 'lease' });
    for (const due of dues) {
      if (!Number.isFinite(due.at)) continue;
      const earlier =
        best === null ||
        due.at < best.at ||
        (due.at === best.at && due.kind === 'lease' && best.kind === 'timer');
      if (earlier) best = due;
    }
  }
  return best;
}

/** The running nodes other than `id` whose timers are due by now: what `only` held back. */
export function heldBack(env: ScenarioEnv, id: NodeId): NodeId[] {
  return env.ids.filter((other) => {
    const core = env.node(other).core;
    return other !== id && core !== null && core.nextDeadline() <= env.now;
  });
}

/** Whether a node is campaigning: looking for (pre-)votes. */
export function isCampaigning(env: ScenarioEnv, id: NodeId): boolean {
  const role = env.node(id).core?.status(env.now).role;
  return role === 'pre-candidate' || role === 'candidate';
}
