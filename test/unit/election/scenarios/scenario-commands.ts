import { RAFT_NAME, type Message, type MessageType } from './core-glue';
import { splitArgs, type ScenarioCase } from './datadriven';
import { formatMessage } from './raft-format';
import { advanceClock } from './scenario-clock';
import { campaign } from './scenario-campaign';
import type { ScenarioEnv } from './scenario-env';
import { logLines, logsFigure, statusLines } from './scenario-views';
import { addNodes } from './scenario-setup';
import { confChange, newNode } from './scenario-membership';
import {
  compact,
  crash,
  partition,
  propose,
  restart,
  setLoad,
  transfer,
  unreachable,
} from './scenario-actions';

type Handler = (env: ScenarioEnv, args: string[], input: string[]) => string[];

/** Every command a scenario may use; README.md beside this file describes each. */
const COMMANDS: Record<string, Handler> = {
  'add-nodes': addNodes,
  tick: (env, args) =>
    advanceClock(env, { until: env.now + delay(args), networkRuns: false }).lines,
  run: (env, args) => runFor(env, args),
  campaign,
  deliver: (env, args) => env.deliver(...selection(args)),
  drop: (env, args) => env.take(selection(args)[0]).map((m) => `dropped ${formatMessage(m)}`),
  partition,
  heal: (env) => {
    env.cut.clear();
    return [];
  },
  crash,
  restart,
  'set-load': setLoad,
  propose,
  transfer,
  unreachable,
  compact,
  'new-node': newNode,
  'conf-change': confChange,
  status: statusLines,
  log: logLines,
  logs: logsFigure,
};

export function runCommand(env: ScenarioEnv, c: ScenarioCase): string[] {
  const handler = COMMANDS[c.command];
  if (handler === undefined) throw new Error(`unknown command ${c.command}`);
  if (c.command !== 'add-nodes' && env.nodes.size === 0) throw new Error('add-nodes first');
  const lines = handler(env, c.args, c.input);
  return lines.length === 0 ? ['ok'] : lines;
}

/** `+<ms>`: how far the clock moves. */
function delay(args: string[]): number {
  const ms = /^\+(\d+(\.\d+)?)$/.exec(args[0] ?? '');
  if (ms === null || args.length !== 1) throw new Error('expected +<ms>');
  return Number(ms[1]);
}

/** `run +<ms>`: time passes with the network delivering at once; routine heartbeats are counted. */
function runFor(env: ScenarioEnv, args: string[]): string[] {
  env.elided = { count: 0 };
  try {
    const { lines } = advanceClock(env, { until: env.now + delay(args), networkRuns: true });
    const count = env.elided.count;
    if (count > 0) lines.push(`(${count} heartbeats and acknowledgements not shown)`);
    return lines;
  } finally {
    env.elided = null;
  }
}

/**
 * `[<from>-><to>] [type=<RaftName>]`, `*` for any node: which in-flight messages a deliver or
 * drop takes. Without a link, deliver goes on until nothing is left in flight.
 */
function selection(args: string[]): [(m: Message) => boolean, boolean] {
  const { positional, options } = splitArgs(args);
  const link = positional[0] ?? '*->*';
  const match = /^([^-\s]+)->([^-\s]+)$/.exec(link);
  if (match === null || positional.length > 1) throw new Error(`expected <from>-><to>: ${link}`);
  const [, from, to] = match;
  const typeName = options.get('type');
  const type = Object.entries(RAFT_NAME).find(([, name]) => name === typeName)?.[0];
  if (typeName !== undefined && type === undefined) throw new Error(`no message ${typeName}`);
  const pick = (m: Message) =>
    (from === '*' || m.from === from) &&
    (to === '*' || m.to === to) &&
    (type === undefined || m.type === (type as MessageType));
  return [pick, positional.length === 0];
}
