import { type Child } from '../lib/children';
import { freePorts } from '../lib/ports';
import { processCpuMs } from '../lib/proc-cpu';
import { startReferenceServer } from '../lib/reference-server';

const SCRIPT = 'heartbeat/majority-reference.js';
const START_TIMEOUT_MS = 15_000;

/** The `--floor 1` target (bench/heartbeat/majority-reference.ts): a leader and two followers. */
export interface Floor {
  /** The leader's HTTP port, where wrk sends the heartbeats. */
  port: number;
  /** The followers' HTTP ports, where the follower series splits the load. */
  followerPorts: number[];
  leaderPid: number;
  followerPids: number[];
  /** CPU milliseconds (user + system) the two followers have used so far, together. */
  followersCpuMs: () => number;
  /** Kills all three; returns the roles of those that had already exited (none, in a sound run). */
  stop: () => Promise<string[]>;
}

/**
 * Starts the leader and the two followers at once (each links to the others, retrying until they
 * listen), every port taken in one call so that no two are the same, and waits for all three to
 * print `listening`. The followers take heartbeats too, forwarded to the leader's FWD_PORT.
 */
export async function startFloor(repo: string, users: number, userPrefix: string): Promise<Floor> {
  const usersEnv = { USERS: String(users), USER_PREFIX: userPrefix };
  const start = (env: Record<string, string>) =>
    startReferenceServer(repo, SCRIPT, { ...usersEnv, ...env }, START_TIMEOUT_MS);
  const [http, fwd, ...followerPorts] = (await freePorts(6)).map(String);
  const follower = (i: number) =>
    start({
      ROLE: 'follower',
      PORT: followerPorts[2 * i],
      HTTP_PORT: followerPorts[2 * i + 1],
      LEADER_FWD_PORT: fwd,
    });
  const leaderEnv = { ROLE: 'leader', PORT: http, FWD_PORT: fwd };
  const [leader, ...followers] = await Promise.all([
    start({ ...leaderEnv, FOLLOWERS: `${followerPorts[0]},${followerPorts[2]}` }),
    follower(0),
    follower(1),
  ]);
  const roles: [string, Child][] = [
    ['leader', leader.child],
    ...followers.map((f, i): [string, Child] => [`follower ${i + 1}`, f.child]),
  ];
  const followerPids = followers.map((f) => f.child.pid);
  return {
    port: leader.port,
    followerPorts: [Number(followerPorts[1]), Number(followerPorts[3])],
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
