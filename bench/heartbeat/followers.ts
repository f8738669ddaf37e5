import { processCpuMs } from '../lib/proc-cpu';
import { runWrk, type WrkPlan, type WrkResult } from '../lib/wrk';

/** One measured run of the `--followers 1` series. */
export interface FollowerRound {
  round: number;
  /** Where the load went: all to the leader, or split over the two followers. */
  target: 'leader' | 'followers';
  /** Heartbeats answered 2xx per second, over every node the load went to: the cluster's rate. */
  perSecond: number;
  non2xx: number;
  /** The leader process's CPU seconds (user + system, /proc/<pid>/stat) per 100,000 heartbeats. */
  leaderCpuSecondsPer100k: number;
  /** The same for the two followers together: what taking heartbeats costs a follower. */
  followersCpuSecondsPer100k: number;
  /** Whether the measured leader still led after the round (set by the caller). */
  leaderUnchanged: boolean;
  wrk: WrkResult[];
}

/** Which the round loads first: alternating, so that neither always gets the warmer machine. */
export const followerRoundOrder = (round: number): readonly FollowerRound['target'][] =>
  round % 2 === 1 ? ['leader', 'followers'] : ['followers', 'leader'];

/** CPU seconds (user + system) a process has used (NaN once it is gone). */
function cpuSecondsOf(pid: number): number {
  return (processCpuMs(pid) ?? NaN) / 1000;
}

/**
 * The same wrk load (`plan` with its connections and threads) sent to the leader, or split over
 * the two followers (half the connections and threads each, both at once), with the leader's CPU
 * time around the measured seconds: what the leader pays per heartbeat either way.
 */
export async function measureFollowerRound(
  round: number,
  target: FollowerRound['target'],
  ports: { leader: number; followers: number[] },
  pids: { leader: number; followers: number[] },
  plan: (port: number, seconds: number, share: number) => WrkPlan,
  seconds: number,
  warmupSeconds: number,
): Promise<FollowerRound> {
  const destinations = target === 'leader' ? [ports.leader] : ports.followers;
  const share = 1 / destinations.length;
  const run = (s: number) => Promise.all(destinations.map((p) => runWrk(plan(p, s, share))));
  if (warmupSeconds > 0) await run(warmupSeconds);
  const followersCpu = () => pids.followers.reduce((a, p) => a + cpuSecondsOf(p), 0);
  const cpuBefore = { leader: cpuSecondsOf(pids.leader), followers: followersCpu() };
  const wrk = await run(seconds);
  const cpu = cpuSecondsOf(pids.leader) - cpuBefore.leader;
  const cpuOfFollowers = followersCpu() - cpuBefore.followers;
  const non2xx = wrk.reduce((a, w) => a + w.non2xx, 0);
  const ok = wrk.reduce((a, w) => a + w.requests, 0) - non2xx;
  const measured = Math.max(...wrk.map((w) => w.seconds));
  return {
    round,
    target,
    perSecond: ok / measured,
    non2xx,
    leaderCpuSecondsPer100k: ok > 0 ? (cpu / ok) * 100_000 : NaN,
    followersCpuSecondsPer100k: ok > 0 ? (cpuOfFollowers / ok) * 100_000 : NaN,
    leaderUnchanged: true,
    wrk,
  };
}

/**
 * The leader's CPU seconds per second with no load at all (its timers: election heartbeats,
 * presence ticks, CPU sampling): the part of each round's figure that is not the heartbeats'.
 */
export async function leaderIdleCpuPerSecond(leaderPid: number, seconds: number): Promise<number> {
  const before = cpuSecondsOf(leaderPid);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return (cpuSecondsOf(leaderPid) - before) / seconds;
}

export const describeFollowerRound = (r: FollowerRound) =>
  `round ${r.round} load to the ${r.target}: ${Math.round(r.perSecond)}/s in the cluster, leader CPU ${r.leaderCpuSecondsPer100k.toFixed(2)} s, followers' ${r.followersCpuSecondsPer100k.toFixed(2)} s per 100,000 heartbeats, non-2xx ${r.non2xx}${r.leaderUnchanged ? '' : ' (the leader moved: left out)'}`;

/** What one follower series measures: a leader and its two followers, and how to load them. */
export interface FollowerSeriesSetup {
  ports: { leader: number; followers: number[] };
  pids: { leader: number; followers: number[] };
  plan: (port: number, seconds: number, share: number) => WrkPlan;
  settings: { rounds: number; seconds: number; warmupSeconds: number };
  /** Whether the measured leader still leads after a round; absent where leadership cannot move. */
  stillLeads?: () => Promise<boolean>;
  /** Starts every line the series logs (rollcall's: none; the floor's: "the floor's "). */
  prefix: string;
}

/**
 * Each setup's leader idle CPU, then per round the same load to each leader and split over its
 * followers, in alternating order, the setups taking turns within each round: rollcall's series,
 * the baseline's and the floor's are this one loop, so none always gets the warmer machine.
 */
export async function runFollowerSeries(
  setups: readonly FollowerSeriesSetup[],
  log: (line: string) => void,
): Promise<{ rounds: FollowerRound[]; idleCpuPerSecond: number }[]> {
  const results: { rounds: FollowerRound[]; idleCpuPerSecond: number }[] = [];
  for (const { pids, settings, prefix } of setups) {
    const idleCpuPerSecond = await leaderIdleCpuPerSecond(pids.leader, settings.seconds);
    log(`${prefix}leader idle: ${idleCpuPerSecond.toFixed(3)} CPU s per second`);
    results.push({ rounds: [], idleCpuPerSecond });
  }
  const rounds = Math.max(0, ...setups.map((s) => s.settings.rounds));
  for (let round = 1; round <= rounds; round++) {
    for (let k = 0; k < setups.length; k++) {
      const at = (k + round - 1) % setups.length;
      const { ports, pids, plan, settings, stillLeads, prefix } = setups[at];
      for (const target of followerRoundOrder(round)) {
        const r = await measureFollowerRound(
          round,
          target,
          ports,
          pids,
          plan,
          settings.seconds,
          settings.warmupSeconds,
        );
        if (stillLeads) r.leaderUnchanged = await stillLeads();
        results[at].rounds.push(r);
        log(`${prefix}${describeFollowerRound(r)}`);
      }
    }
  }
  return results;
}
