import type { Entry } from './core-glue';
import { DEFAULT_TIMING, type Timing } from '../sim/timing';
import { splitArgs } from './datadriven';
import type { ScenarioEnv } from './scenario-env';
import { ScenarioNode } from './scenario-node';

/**
 * `add-nodes <n> [heartbeat=1000] [election=3000-<3000+1000n>] [leader-term=10000]
 * [retry=100] [hysteresis=10] [margin=300] [random=0.5]`, then optionally one input line per
 * node that does not start empty: `<id> [term=<t>] [vote=<id>] [commit=<c>] [log=<t>,<t>,...]`
 * (the terms of entries 1, 2, ...; such entries carry no data and print as `index/term`).
 *
 * Nodes are named 1..n and start at the current time. Every node's `random` returns the same
 * constant, so with equal loads its election timer falls at a fixed point of its rank's slot:
 * by default node 1 at 3500 ms, node 2 at 4500, and so on.
 */
export function addNodes(env: ScenarioEnv, args: string[], input: string[]): string[] {
  if (env.nodes.size > 0) throw new Error('add-nodes comes once, first');
  const { positional, options } = splitArgs(args);
  const count = Number(positional[0]);
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new Error('add-nodes 1..9');
  env.timing = timingFrom(options, count);
  const random = numberOption(options, 'random', 0.5);
  if (!(random >= 0 && random < 1)) throw new Error('random must be in [0, 1)');
  for (const key of options.keys()) throw new Error(`add-nodes: unknown option ${key}=`);
  for (let i = 1; i <= count; i++)
    env.nodes.set(String(i), new ScenarioNode(String(i), () => random));
  env.bootstrap = env.ids;
  for (const line of input) seedNode(env, line);
  return env.ids.flatMap((id) => env.start(id));
}

/** Reads (and removes) the timing options, defaulting to config.toml's with a 1 s slot per rank. */
function timingFrom(options: Map<string, string>, count: number): Timing {
  const election = take(options, 'election') ?? `3000-${3000 + 1000 * count}`;
  const [min, max] = election.split('-').map(Number);
  return {
    heartbeatIntervalMs: numberOption(options, 'heartbeat', DEFAULT_TIMING.heartbeatIntervalMs),
    electionTimeoutMinMs: min,
    electionTimeoutMaxMs: max,
    leaderTermMs: numberOption(options, 'leader-term', DEFAULT_TIMING.leaderTermMs),
    electionRetryMs: numberOption(options, 'retry', DEFAULT_TIMING.electionRetryMs),
    cpuHysteresisPct: numberOption(options, 'hysteresis', DEFAULT_TIMING.cpuHysteresisPct),
    leaseSafetyMarginMs: numberOption(options, 'margin', DEFAULT_TIMING.leaseSafetyMarginMs),
  };
}

/** One input line of add-nodes: what this node's disk holds before it starts. */
function seedNode(env: ScenarioEnv, line: string): void {
  const { positional, options } = splitArgs(line.trim().split(/\s+/));
  const node = env.node(positional[0]);
  const terms = (take(options, 'log') ?? '')
    .split(',')
    .filter((t) => t !== '')
    .map(Number);
  const entries: Entry[] = terms.map((term, i) => ({ index: i + 1, term, data: undefined }));
  const vote = take(options, 'vote') ?? null;
  node.disk = {
    hardState: {
      term: numberOption(options, 'term', terms.at(-1) ?? 0),
      votedFor: vote,
      commit: numberOption(options, 'commit', 0),
    },
    snapshot: null,
    entries,
  };
  for (const key of options.keys()) throw new Error(`node ${node.id}: unknown option ${key}=`);
}

function take(options: Map<string, string>, key: string): string | undefined {
  const value = options.get(key);
  options.delete(key);
  return value;
}

function numberOption(options: Map<string, string>, key: string, fallback: number): number {
  const raw = take(options, key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${key}=${raw} is not a number`);
  return value;
}
