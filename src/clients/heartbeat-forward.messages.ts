import type { PeerFields } from '../election/peer-channel';
import { batchesProblem, RECORDS_PER_FRAME } from './presence-sync.messages';

/** Follower to leader: heartbeats it accepted (follower_heartbeats), to be held as the leader's own. */
export const PRESENCE_FORWARD = 'PresenceForward';
/**
 * Leader to follower: the batches are held by a majority (`held`), or they were not taken. A
 * batch the follower is counted a holder of gets one at once (`holder`); other held batches ride
 * on the next PresenceDelta to that follower instead when one leaves in the same turn of the
 * leader's event loop (its `held` field).
 */
export const PRESENCE_FORWARD_ACK = 'PresenceForwardAck';

/** A heartbeat a follower accepted: the client and the addr it is online at. */
export type ForwardedBeat = [username: string, addr: string];

export interface PresenceForward {
  /** The follower's number for this batch, echoed by the acknowledgement. */
  batch: number;
  beats: ForwardedBeat[];
  /**
   * The follower keeps every beat of this batch in its own copy once it is held, and that copy
   * counts for a new leader: the follower is then one of the batch's holders. Absent from a
   * follower whose copy a new leader would not take in (HeartbeatForwarder).
   */
  holds?: true;
}

export interface PresenceForwardAck {
  /** The follower's numbers of the batches this answers. */
  batches: number[];
  /**
   * The leader counted the follower among the batches' holders (it said `holds`): the follower
   * keeps their beats in its copy. Sent in the same call that applied them, so every frame of
   * the leader's stream before this one was drained before them, and every one after, after.
   */
  holder?: true;
  /**
   * True once a majority holds every heartbeat of the batches (the follower among them if it
   * said `holds`); false when the leader refused them.
   */
  held: boolean;
}

const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64;
const isAddr = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= 300;

export function forwardProblem(e: PeerFields): string | null {
  if (!isCount(e.batch)) return 'batch must be a count';
  const beats = e.beats;
  if (!Array.isArray(beats) || beats.length === 0 || beats.length > RECORDS_PER_FRAME) {
    return `beats must be an array of 1 to ${RECORDS_PER_FRAME}`;
  }
  for (const b of beats) {
    if (!Array.isArray(b) || b.length !== 2 || !isName(b[0]) || !isAddr(b[1])) {
      return 'a beat must be [username, addr]';
    }
  }
  if (e.holds !== undefined && e.holds !== true) return 'holds must be true when present';
  return null;
}

export function forwardAckProblem(e: PeerFields): string | null {
  const problem = batchesProblem(e.batches);
  if (problem) return problem;
  if (typeof e.held !== 'boolean') return 'held must be a boolean';
  if (e.holder !== undefined && (e.holder !== true || e.held !== true))
    return 'holder must be true, and only on held batches, when present';
  return null;
}
