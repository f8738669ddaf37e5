import type { PeerFields } from '../election/peer-channel';
import type { PresenceRecord } from './presence.service';

/** Leader to follower: changes since the previous delta of this term. */
export const PRESENCE_DELTA = 'PresenceDelta';
/** Leader to follower: everyone online, in chunks; `seq` is the delta it stands in for. */
export const PRESENCE_FULL = 'PresenceFull';
/** Follower to leader: "I missed something, send me everything". */
export const PRESENCE_SYNC_REQUEST = 'PresenceSyncRequest';
/** New leader to followers: "send me who you know online", so it starts from everyone's copy. */
export const PRESENCE_GATHER = 'PresenceGather';
/** Follower to new leader: its copy, in chunks; `known` is false if it never synced since start. */
export const PRESENCE_REPORT = 'PresenceReport';
/** Follower to leader: "I hold your list up to this delta (or this full list)". */
export const PRESENCE_ACK = 'PresenceAck';

/** Records per frame: a record is at most ~350 bytes of JSON, frames at most 1 MiB. */
export const RECORDS_PER_FRAME = 2000;

/** Splits a list into frame-sized parts; an empty list is one empty part, still worth sending. */
export function inFrames<T>(items: T[]): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += RECORDS_PER_FRAME) {
    parts.push(items.slice(i, i + RECORDS_PER_FRAME));
  }
  return parts.length > 0 ? parts : [[]];
}

export interface PresenceDelta {
  seq: number;
  online: PresenceRecord[];
  offline: string[];
  /** The leader's last delta before it hands leadership over: with it, a copy is complete. */
  final?: boolean;
  /** The leader's list may lack clients (it took over without a majority's copies). */
  partial?: boolean;
  /**
   * The recipient's forwarded batches (follower_heartbeats) that a majority now holds: the
   * PresenceForwardAck they would otherwise have had, riding on the delta that left in the same
   * turn of the leader's event loop. Per recipient; absent when there is none.
   */
  held?: number[];
  /**
   * The recipient's latest PresenceAck the leader had when it drained this delta, and how many
   * ms before (AckEcho): how new the list is, on the recipient's clock (AcksSent). Per
   * recipient, both or neither; absent before it acknowledged anything in this term, and from
   * older leaders, whose followers then serve no follower reads.
   */
  ackSeq?: number;
  ackAgoMs?: number;
  /**
   * How far the leader had applied its log when it drained this delta: a follower's registry
   * applied as far holds every registration the leader answered by then (RegistryDates). Like
   * the echo, only on a delta whose leader could serve as it was drained.
   */
  applied?: number;
}

export interface PresenceAck {
  seq: number;
  /** True when `seq` is that of a full list rather than of a delta. */
  full: boolean;
}

/**
 * A new leader's ask. A leader that holds the list its predecessor handed over names it (the
 * term and its final delta's seq): a node whose copy holds nothing that list lacks answers
 * `inStep` instead of sending it. Older followers ignore the names and send their copy.
 */
export interface PresenceGatherAsk {
  handedTerm?: number;
  handedSeq?: number;
}

export interface PresenceReport {
  chunk: number;
  chunks: number;
  known: boolean;
  /** Since the reporter last had a leader's list, in ms; absent when it never had one. */
  syncAgeMs?: number;
  /** The copy holds nothing the list the ask named lacks: no records follow (one chunk, empty). */
  inStep?: true;
  records: PresenceRecord[];
}

export interface PresenceFull {
  seq: number;
  chunk: number;
  chunks: number;
  records: PresenceRecord[];
  /** As PresenceDelta's. */
  partial?: boolean;
}

const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Batch numbers one acknowledgement may carry: a follower has no more in flight than this. */
export const MAX_ACKED_BATCHES = RECORDS_PER_FRAME;

/** Why a list of acknowledged batch numbers (follower_heartbeats) is not one, or null. */
export function batchesProblem(v: unknown): string | null {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_ACKED_BATCHES || !v.every(isCount)) {
    return `batches must be 1 to ${MAX_ACKED_BATCHES} counts`;
  }
  return null;
}
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64;

function recordsProblem(v: unknown): string | null {
  if (!Array.isArray(v) || v.length > RECORDS_PER_FRAME)
    return 'records must be an array of at most 2000';
  for (const r of v) {
    if (!Array.isArray(r) || r.length !== 3) return 'a record must be [username, addr, ageMs]';
    const [name, addr, age] = r as unknown[];
    if (!isName(name) || typeof addr !== 'string' || addr.length > 300 || !isCount(age)) {
      return 'a record must be [username, addr, ageMs]';
    }
  }
  return null;
}

export function deltaProblem(e: PeerFields): string | null {
  if (!isCount(e.seq)) return 'seq must be a count';
  if (e.final !== undefined && typeof e.final !== 'boolean') return 'final must be a boolean';
  if (e.partial !== undefined && typeof e.partial !== 'boolean') return 'partial must be a boolean';
  const heldProblem = e.held === undefined ? null : batchesProblem(e.held);
  if (heldProblem) return `held: ${heldProblem}`;
  if (e.applied !== undefined && !isCount(e.applied)) return 'applied must be a count';
  const echoed = e.ackSeq !== undefined || e.ackAgoMs !== undefined;
  if (echoed && !(isCount(e.ackSeq) && isCount(e.ackAgoMs))) {
    return 'ackSeq and ackAgoMs must be counts, both or neither';
  }
  const offline = e.offline;
  if (!Array.isArray(offline) || offline.length > RECORDS_PER_FRAME || !offline.every(isName)) {
    return 'offline must be at most 2000 usernames';
  }
  return recordsProblem(e.online);
}

export function fullProblem(e: PeerFields): string | null {
  if (!isCount(e.seq) || !isCount(e.chunk) || !isCount(e.chunks))
    return 'seq, chunk, chunks must be counts';
  if (e.chunk >= e.chunks) return 'chunk must be below chunks';
  if (e.partial !== undefined && typeof e.partial !== 'boolean') return 'partial must be a boolean';
  return recordsProblem(e.records);
}

export const requestProblem = (): string | null => null;

export function gatherProblem(e: PeerFields): string | null {
  if (e.handedTerm === undefined && e.handedSeq === undefined) return null;
  return isCount(e.handedTerm) && isCount(e.handedSeq)
    ? null
    : 'handedTerm and handedSeq must be counts, both or neither';
}

export function reportProblem(e: PeerFields): string | null {
  if (!isCount(e.chunk) || !isCount(e.chunks)) return 'chunk, chunks must be counts';
  if (e.chunk >= e.chunks) return 'chunk must be below chunks';
  if (typeof e.known !== 'boolean') return 'known must be a boolean';
  if (e.syncAgeMs !== undefined && !isCount(e.syncAgeMs)) return 'syncAgeMs must be a count';
  if (e.inStep !== undefined && !isInStep(e)) {
    return 'inStep must be true, and only on a one-chunk, empty, known report';
  }
  return recordsProblem(e.records);
}

const isInStep = (e: PeerFields): boolean =>
  e.inStep === true &&
  e.chunks === 1 &&
  e.known === true &&
  Array.isArray(e.records) &&
  e.records.length === 0;

export function ackProblem(e: PeerFields): string | null {
  if (!isCount(e.seq)) return 'seq must be a count';
  return typeof e.full === 'boolean' ? null : 'full must be a boolean';
}
