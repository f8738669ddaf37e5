/** What travels in a frame: a consensus message plus the sender's HTTP base URL. */
export interface Envelope {
  type: string;
  from: string;
  to: string;
  term: number;
  cpu: number;
  /** The sender's HTTP base URL, so any node can point clients at the leader's API. */
  api: string;
  [field: string]: unknown;
}

/**
 * The JSON of two objects' fields in one object, `first`'s then `second`'s: what
 * JSON.stringify({ ...a, ...b }) gives for the JSON of a and b when they share no key. Messages
 * are put together this way rather than by copying objects: their JSON is all the wire needs.
 */
export function joinJsonObjects(first: string, second: string): string {
  if (first.length <= 2) return second;
  if (second.length <= 2) return first;
  return `${first.slice(0, -1)},${second.slice(1)}`;
}

/** Transport-level keepalive; never reaches the consensus core. */
export const PING = 'Ping';

/** Checks the fields every frame must carry; returns a reason when it falls short. */
export function checkEnvelope(v: unknown): Envelope | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'frame is not a JSON object';
  const e = v as Record<string, unknown>;
  if (typeof e.type !== 'string') return 'frame has no message type';
  if (typeof e.from !== 'string' || typeof e.to !== 'string') return 'frame has no from/to';
  if (typeof e.term !== 'number' || !Number.isSafeInteger(e.term) || e.term < 0) return 'bad term';
  if (typeof e.cpu !== 'number' || !(e.cpu >= 0 && e.cpu <= 100)) return 'bad cpu';
  if (typeof e.api !== 'string' || e.api.length > 300) return 'bad api url';
  return e as Envelope;
}
