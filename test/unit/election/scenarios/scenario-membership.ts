import type { MembershipChange } from './core-glue';
import { formatMembers } from './raft-format';
import type { ScenarioEnv } from './scenario-env';
import { ScenarioNode } from './scenario-node';

/**
 * `new-node <id>`: a new machine with an empty disk starts. It is in no one's bootstrap peers
 * (as a node started with --join): it follows whoever leads, never campaigns, and learns from
 * the log whether it is a learner, a voter or nothing yet. Nobody sends it anything until a
 * leader adds it (`conf-change`).
 */
export function newNode(env: ScenarioEnv, args: string[]): string[] {
  const [id] = args;
  if (id === undefined || args.length !== 1) throw new Error('new-node <id>');
  if (env.nodes.has(id)) throw new Error(`node ${id} exists`);
  const first = env.node(env.ids[0]);
  const node = new ScenarioNode(id, first.random);
  node.joining = true;
  env.nodes.set(id, node);
  return env.start(id);
}

/**
 * `conf-change <id> add-learner|add-voter|promote|remove <node>`: asks <id> (the leader) for
 * one single-server membership change, as `rollcall members ...` does. Prints the entry it
 * appends, or its refusal with the reason the HTTP API would answer.
 */
export function confChange(env: ScenarioEnv, args: string[]): string[] {
  const [id, op, target] = args;
  if (target === undefined || args.length !== 3) {
    throw new Error('conf-change <id> add-learner|add-voter|promote|remove <node>');
  }
  const change = changeOf(op, target);
  const [answer, effects] = env.ask(id, (core) => core.changeMembership(change, env.now));
  const config = env.runningNode(id).core.configuration;
  const verdict =
    'reason' in answer
      ? `${id} refuses (${answer.reason}): ${answer.message}`
      : `${id} appends ${answer.index}/${answer.term}:${formatMembers(config)}`;
  return [verdict, ...effects];
}

function changeOf(op: string, node: string): MembershipChange {
  switch (op) {
    case 'add-learner':
    case 'add-voter':
      return { kind: 'add', node, apiUrl: `http://node-${node}`, learner: op === 'add-learner' };
    case 'promote':
    case 'remove':
      return { kind: op, node };
    default:
      throw new Error(`conf-change: unknown change ${op}`);
  }
}
