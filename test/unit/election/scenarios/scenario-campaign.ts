import type { Message, NodeId } from './core-glue';
import { advanceClock, heldBack, isCampaigning } from './scenario-clock';
import type { ScenarioEnv } from './scenario-env';

/**
 * `campaign <id>`: <id>'s election timer fires and its pre-vote round runs to its end; the
 * rest of the network stays frozen. Time passes until <id>'s timer fires; another node's timer
 * that falls due first is held back (as if that process were paused: it fires at the next
 * tick or run) and named. Then the pre-votes and their answers are delivered, and, when a
 * majority granted but not everyone answered, <id> waits out the gathering (electionRetryMs).
 * It ends a candidate with its RequestVotes in flight, a follower, or a pre-candidate whose
 * round failed.
 */
export function campaign(env: ScenarioEnv, args: string[]): string[] {
  const id = args[0];
  const node = env.runningNode(id);
  if (isCampaigning(env, id)) throw new Error(`${id} is already campaigning`);
  const fired = tickOnly(env, id, () => isCampaigning(env, id));
  if (!fired.stopped) throw new Error(`${id} never campaigned`);
  const lines = [...fired.lines, ...env.deliver((m) => isPreVoteOf(id, m), true)];
  const gathering = node.core.nextDeadline() <= env.now + env.timing!.electionRetryMs;
  if (roleOf(env, id) === 'pre-candidate' && gathering) {
    lines.push(...tickOnly(env, id, () => true).lines);
  }
  const paused = heldBack(env, id);
  if (paused.length > 0)
    lines.push(`(held back: ${paused.join(', ')}, whose timers fell due first)`);
  return lines;
}

/** Advances the clock firing only <id>'s timer, until `stop` says so after one of its ticks. */
function tickOnly(env: ScenarioEnv, id: NodeId, stop: () => boolean) {
  return advanceClock(env, {
    until: env.now + 100 * env.timing!.electionTimeoutMaxMs,
    networkRuns: false,
    only: id,
    stopAfter: stop,
  });
}

function isPreVoteOf(id: NodeId, m: Message): boolean {
  return (m.type === 'PreVote' && m.from === id) || (m.type === 'PreVoteResponse' && m.to === id);
}

function roleOf(env: ScenarioEnv, id: NodeId): string | undefined {
  return env.node(id).core?.status(env.now).role;
}
