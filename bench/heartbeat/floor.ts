import { type Child } from '../lib/children';
import { processCpuMs } from '../lib/proc-cpu';
import { startReferenceServer } from '../lib/reference-server';

const SCRIPT = 'heartbeat/majority-reference.js';
const START_TIMEOUT_MS = 10_000;

/** The `--floor 1` target (bench/heartbeat/majority-reference.ts): a leader and two followers. */
export interface Floor {
  /** The leader's HTTP port, where wrk sends the heartbeats. */
  port: number;
  leaderPid: number;
  followerPids: number[];
  /** CPU milliseconds (user + system) the two followers have used so far, together. */
  followersCpuMs: () => number;
  /** Kills all three; returns the roles of those that had already exited (none, in a sound run). */
  stop: () => Promise<string[]>;
}

/** Starts the two followers, then the leader with their ports, each once it prints `listening`. */
export async function startFloor(repo: string, users: number, userPrefix: string): Promise<Floor> {
  const usersEnv = { USERS: String(users), USER_PREFIX: userPrefix };
  const start = (env: Record<string, string>) =>
    startReferenceServer(repo, SCRIPT, { ...usersEnv, ...env }, START_TIMEOUT_MS);
  // One after the other: each takes a port the OS just called free, and two asking at once could
  // be told the same one.
  const followers = [await start({ ROLE: 'follower' }), await start({ ROLE: 'follower' })];
  const leader = await start({
    ROLE: 'leader',
    FOLLOWERS: followers.map((f) => f.port).join(','),
  });
  const roles: [string, Child][] = [
    ['leader', leader.child],
    ...followers.map((f, i): [string, Child] => [`follower ${i + 1}`, f.child]),
  ];
  const followerPids = followers.map((f) => f.child.pid);
  return {
    port: leader.port,
    leaderPid: leader.child.pid,
    followerPids,
    followersCpuMs: () => followerPids.reduce((sum, pid) => sum + (processCpuMs(pid) ?? NaN), 0),
    stop: async () => {
      const exitedEarly = roles.filter(([, child]) => !child.running).map(([role]) => role);
      await Promise.all(roles.map(([, child]) => child.kill()));
      return exitedEarly;
    },
  };
}
