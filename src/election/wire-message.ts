import type { Message } from './consensus/messages';
import type { Envelope } from './transport/envelope';

const isInt = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

function isLoads(v: unknown): v is Record<string, number> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const entries = Object.entries(v);
  return entries.length <= 1000 && entries.every(([, cpu]) => isNum(cpu) && cpu >= 0 && cpu <= 100);
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
  Heartbeat: (e) => isNum(e.sentAt) && isLoads(e.loads) && isBool(e.countsForLease),
  HeartbeatResponse: (e) => isNum(e.sentAt) && isInt(e.lastLogIndex),
  TimeoutNow: (e) => isNum(e.leaseRevokedAt),
};

/** Turns a checked envelope into a consensus message, or says why it is not one. */
export function toMessage(e: Envelope): Message | string {
  // Own properties only: a type named "__proto__" or "toString" must not find Object's members.
  const check = Object.hasOwn(FIELDS, e.type)
    ? (FIELDS as Record<string, (e: Envelope) => boolean>)[e.type]
    : undefined;
  if (!check) return `unknown message type "${e.type.slice(0, 40)}"`;
  if (!check(e)) return `malformed ${e.type} message`;
  return e as unknown as Message;
}
