import type { InvariantResult } from './checker';
import { acksByClient, firstAtOrAfter, notShown, oneAddrOf } from './client-acks';
import type { FollowerServed, HeartbeatAck, Recorder } from './recorder';

/** How long a heartbeat keeps a client online (30 s), less a margin: as PRESENCE_WINDOW_MS. */
const WINDOW_MS = 29_000;
const EXAMPLES = 25;

export type FollowerReadsResult = InvariantResult & { reads: number; usersReads: number };

/**
 * With follower_reads (--followers): a follower answered /discover from its copy only while that
 * copy was at most `maxLagMs` behind the leader, and the copy was as complete as it said: every
 * client whose heartbeat was acknowledged (by any node) before the leader's list the copy holds
 * (the read's send time less its Rollcall-Lag-Ms) and recently enough to still be online, is on
 * it. Its /users answers are checked the same way against registrations (checkUsersReads).
 */
export function checkFollowerReads(
  recorder: Recorder,
  maxLagMs: number | null,
  t: (x: number) => string,
): FollowerReadsResult {
  const result: FollowerReadsResult = {
    checks: 0,
    violations: 0,
    examples: [],
    reads: recorder.followerReads.length,
    usersReads: recorder.followerUsersReads.length,
  };
  const note = (why: string) => {
    result.violations++;
    if (result.examples.length < EXAMPLES) result.examples.push(why);
  };
  checkUsersReads(recorder, maxLagMs, t, result, note);
  const clients = [...acksByClient(recorder.heartbeatAcks)].map(
    ([username, acks]) => [username, new ClientAcks(acks), oneAddrOf(acks)] as const,
  );
  for (const read of recorder.followerReads) {
    result.checks++;
    const updatedBefore = heldBefore(read, '/discover', maxLagMs, t, note);
    for (const [username, acks, addr] of clients) {
      if (!acks.anyAnsweredBefore(read.recv - WINDOW_MS, updatedBefore)) continue;
      result.checks++;
      const problem = notShown(read.online, username, addr);
      if (problem !== null) {
        note(
          `${username} ${problem} node ${read.node}'s follower read at ${t(read.recv)} (lag ${read.lagMs} ms), acked before its copy's last update`,
        );
      }
    }
  }
  return result;
}

/**
 * A follower-served answer on `route` must say a lag within the bound (a violation otherwise);
 * returns the time before which everything answered is in the copy it served from.
 */
function heldBefore(
  read: FollowerServed,
  route: string,
  maxLagMs: number | null,
  t: (x: number) => string,
  note: (why: string) => void,
): number {
  if (maxLagMs === null || !(read.lagMs >= 0 && read.lagMs <= maxLagMs)) {
    note(
      `node ${read.node} served ${route} at ${t(read.recv)} ${read.lagMs} ms behind (bound ${String(maxLagMs)})`,
    );
  }
  // Rollcall-Lag-Ms counts from no later than the leader drained the delta the copy last took
  // (PresenceFollower), transit and waits included, and is rounded up: no allowance is due.
  return read.send - read.lagMs;
}

/**
 * A follower-served /users: within the lag bound, and listing every registration whose answer
 * came before the registry it serves (the read's send time less its lag). Registrations never
 * expire, so every earlier one counts.
 */
function checkUsersReads(
  recorder: Recorder,
  maxLagMs: number | null,
  t: (x: number) => string,
  result: FollowerReadsResult,
  note: (why: string) => void,
): void {
  // Pushed as each register() resolved: in order of answer.
  const registered = recorder.registrations;
  for (const read of recorder.followerUsersReads) {
    result.checks++;
    const updatedBefore = heldBefore(read, '/users', maxLagMs, t, note);
    for (let k = 0; k < registered.length && registered[k].at < updatedBefore; k++) {
      result.checks++;
      const { username } = registered[k];
      if (!read.users.has(username)) {
        note(
          `${username} missing from node ${read.node}'s follower /users at ${t(read.recv)} (lag ${read.lagMs} ms), registered before the registry it served`,
        );
      }
    }
  }
}

/**
 * One client's acks by send time, with the earliest answer among each suffix: whether any ack
 * sent at or after `from` was answered before `before` is then one binary search, so a run's
 * tens of thousands of reads and acks are checked in seconds rather than hours.
 */
class ClientAcks {
  private readonly earliestRecvFrom: number[];

  constructor(private readonly sorted: readonly HeartbeatAck[]) {
    this.earliestRecvFrom = sorted.map((a) => a.recv);
    for (let k = sorted.length - 2; k >= 0; k--) {
      this.earliestRecvFrom[k] = Math.min(this.earliestRecvFrom[k], this.earliestRecvFrom[k + 1]);
    }
  }

  anyAnsweredBefore(from: number, before: number): boolean {
    const k = firstAtOrAfter(this.sorted, from);
    return k < this.sorted.length && this.earliestRecvFrom[k] < before;
  }
}
