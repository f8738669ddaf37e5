import type { Envelope } from './envelope';

/**
 * Messages larger than a frame (a snapshot for a follower far behind) travel as a run of
 * `Fragment` frames on one connection, each under the 1 MiB frame cap, and are put back
 * together on arrival. A connection carries one run at a time, in order.
 */
export const FRAGMENT = 'Fragment';
/** Payload bytes per fragment: base64 makes them 4/3 larger, still well under 1 MiB. */
export const FRAGMENT_PAYLOAD_BYTES = 600 * 1024;
/** The largest message put back together; anything larger costs its sender the connection. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface FragmentFields {
  id: number;
  part: number;
  parts: number;
  chunk: string;
}

/** Splits a serialized message into fragment bodies (envelope fields are added by the sender). */
export function splitMessage(json: Buffer, id: number): FragmentFields[] {
  const parts = Math.ceil(json.length / FRAGMENT_PAYLOAD_BYTES);
  return Array.from({ length: parts }, (_, part) => ({
    id,
    part,
    parts,
    chunk: json
      .subarray(part * FRAGMENT_PAYLOAD_BYTES, (part + 1) * FRAGMENT_PAYLOAD_BYTES)
      .toString('base64'),
  }));
}

/** A run of fragments its sender got wrong; anything else thrown here is a bug. */
export class FragmentError extends Error {}

/** Puts fragments back together; throws FragmentError when a run is malformed or too large. */
export class Reassembler {
  private run: { id: number; parts: number; next: number; bytes: number; chunks: Buffer[] } | null =
    null;

  /** Returns the whole message once its last fragment is in, else null. */
  push(e: Envelope): unknown {
    const { id, part, parts, chunk } = e as unknown as Partial<FragmentFields>;
    if (!isCount(id) || !isCount(part) || !isCount(parts) || typeof chunk !== 'string') {
      throw new FragmentError('malformed fragment');
    }
    if (parts < 2 || parts * FRAGMENT_PAYLOAD_BYTES > MAX_MESSAGE_BYTES + FRAGMENT_PAYLOAD_BYTES) {
      throw new FragmentError(`fragmented message of ${parts} parts is over the limit`);
    }
    if (part === 0) this.run = { id, parts, next: 0, bytes: 0, chunks: [] };
    const run = this.run;
    if (!run || run.id !== id || run.parts !== parts || run.next !== part) {
      throw new FragmentError('fragment out of order');
    }
    const bytes = Buffer.from(chunk, 'base64');
    run.bytes += bytes.length;
    if (bytes.length > FRAGMENT_PAYLOAD_BYTES || run.bytes > MAX_MESSAGE_BYTES) {
      throw new FragmentError('fragmented message is over the limit');
    }
    run.chunks.push(bytes);
    run.next++;
    if (run.next < run.parts) return null;
    this.run = null;
    try {
      return JSON.parse(Buffer.concat(run.chunks).toString('utf8'));
    } catch {
      throw new FragmentError('fragmented message is not JSON');
    }
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
