import { isMembershipConfig } from './consensus/membership';
import { APPEND_ENTRIES, APPEND_ENTRIES_RESPONSE, type Message } from './consensus/messages';
import type { Envelope } from './transport/envelope';

const isInt = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isPct = (v: unknown): v is number => isNum(v) && v >= 0 && v <= 100;

function isLoads(v: unknown): v is Record<string, number> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const entries = Object.entries(v);
  return entries.length <= 1000 && entries.every(([, cpu]) => isPct(cpu));
}

/** Background loads came with this version: a peer of the previous one leaves them out. */
const isOptionalLoads = (v: unknown) => v === undefined || isLoads(v);

/** The most entries one AppendEntries may carry on the wire (the leader sends at most 512). */
export const MAX_WIRE_ENTRIES = 10_000;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * At most MAX_WIRE_ENTRIES entries `{index, term, data}` following prevLogIndex with consecutive
 * indexes, terms never decreasing, starting after prevLogTerm and never above the message's term.
 */
function isEntries(v: unknown, e: Envelope): boolean {
  if (!Array.isArray(v) || v.length > MAX_WIRE_ENTRIES) return false;
  let term = e.prevLogTerm as number;
  for (let i = 0; i < v.length; i++) {
    const entry: unknown = v[i];
    if (!isRecord(entry) || !Object.hasOwn(entry, 'data') || entry.data === undefined) return false;
    if (entry.index !== (e.prevLogIndex as number) + 1 + i) return false;
    if (!isInt(entry.term) || entry.term < term || entry.term > e.term) return false;
    term = entry.term;
  }
  return true;
}

/** The fields each message type needs beyond the envelope, checked before the core sees it. */
const FIELDS: Record<Message['type'], (e: Envelope) => boolean> = {
  PreVote: (e) => isInt(e.lastLogIndex) && isInt(e.lastLogTerm),
  PreVoteResponse: (e) => isBool(e.granted),
  RequestVote: (e) =>
    isInt(e.lastLogIndex) &&
    isInt(e.lastLogTerm) &&
    isBool(e.transfer) &&
    (e.leaseRevokedAt === null || isNum(e.leaseRevokedAt)),
  RequestVoteResponse: (e) => isBool(e.granted) && isNum(e.leaseWaitMs) && e.leaseWaitMs >= 0,
  [APPEND_ENTRIES]: (e) =>
    isNum(e.sentAt) &&
    isLoads(e.loads) &&
    isOptionalLoads(e.backgrounds) &&
    isBool(e.countsForLease) &&
    isInt(e.prevLogIndex) &&
    isInt(e.prevLogTerm) &&
    e.prevLogTerm <= e.term &&
    isInt(e.leaderCommit) &&
    isEntries(e.entries, e),
  [APPEND_ENTRIES_RESPONSE]: (e) =>
    isNum(e.sentAt) && isInt(e.lastLogIndex) && isBool(e.success) && isInt(e.matchIndex),
  InstallSnapshot: (e) =>
    isNum(e.sentAt) &&
    isLoads(e.loads) &&
    isOptionalLoads(e.backgrounds) &&
    isBool(e.countsForLease) &&
    isInt(e.snapshotIndex) &&
    isInt(e.snapshotTerm) &&
    e.snapshotTerm <= e.term &&
    isInt(e.leaderCommit) &&
    Object.hasOwn(e, 'data') &&
    e.data !== undefined &&
    (e.membership === undefined || isMembershipConfig(e.membership)),
  TimeoutNow: (e) => isNum(e.leaseRevokedAt),
};

/** Turns a checked envelope into a consensus message, or says why it is not one. */
export function toMessage(e: Envelope): Message | string {
  // Own properties only: a type named "__proto__" or "toString" must not find Object's members.
  const check = Object.hasOwn(FIELDS, e.type)
    ? (FIELDS as Record<string, (e: Envelope) => boolean>)[e.type]
    : undefined;
  if (!check) return `unknown message type "${e.type.slice(0, 40)}"`;
  if (!check(e) || !(e.background === undefined || isPct(e.background))) {
    return `malformed ${e.type} message`;
  }
  return e as unknown as Message;
}
