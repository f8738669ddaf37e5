import type { InvariantResult } from './checker';
import type { HeartbeatAck, Recorder } from './recorder';

/** How long a heartbeat keeps a client online (30 s), less a margin: as PRESENCE_WINDOW_MS. */
const WINDOW_MS = 29_000;
/** Room for the leader's delta to cross the mesh, delays included, after the ack it carries. */
const TRANSIT_MS = 1_000;
const EXAMPLES = 25;

export type FollowerReadsResult = InvariantResult & { reads: number };

/**
 * With follower_reads (--followers): a follower answered /discover from its copy only while that
 * copy was at most `maxLagMs` behind the leader, and the copy was as complete as it said: every
 * client whose heartbeat was acknowledged (by any node) before the copy's last update from the
 * leader (the answer's time less its Rollcall-Lag-Ms, less transit) and recently enough to still
 * be online, is on it.
 */
export function checkFollowerReads(
  recorder: Recorder,
  maxLagMs: number | null,
  t: (x: number) => string,
): FollowerReadsResult {
  const result: FollowerReadsResult = { checks: 0, violations: 0, examples: [], reads: 0 };
  result.reads = recorder.followerReads.length;
  const note = (why: string) => {
    result.violations++;
    if (result.examples.length < EXAMPLES) result.examples.push(why);
  };
  const latest = new Map<string, HeartbeatAck[]>();
  for (const ack of recorder.heartbeatAcks) {
    const list = latest.get(ack.username) ?? [];
    list.push(ack);
    latest.set(ack.username, list);
  }
  for (const read of recorder.followerReads) {
    result.checks++;
    if (maxLagMs === null || !(read.lagMs >= 0 && read.lagMs <= maxLagMs)) {
      note(
        `node ${read.node} served /discover at ${t(read.recv)} ${read.lagMs} ms behind (bound ${String(maxLagMs)})`,
      );
    }
    const updatedBefore = read.send - read.lagMs - TRANSIT_MS;
    for (const [username, acks] of latest) {
      const held = acks.some((a) => a.recv < updatedBefore && a.send >= read.recv - WINDOW_MS);
      if (!held) continue;
      result.checks++;
      if (!read.online.has(username)) {
        note(
          `${username} missing from node ${read.node}'s follower read at ${t(read.recv)} (lag ${read.lagMs} ms), acked before its copy's last update`,
        );
      }
    }
  }
  return result;
}
