import { crc32 } from 'node:zlib';

/**
 * Framing of the append-only files: `[u32 length][u32 crc32(payload)][payload]`, big-endian.
 * The checksum lets a reader tell a record torn by a crash from a whole one.
 */
export const RECORD_HEADER_BYTES = 8;
/**
 * A record of an append-only file is a small JSON document; anything longer is damage, not
 * data. (A snapshot file holds one record of any size: see RaftLogFile.)
 */
export const MAX_RECORD_BYTES = 1 << 20;

export function encodeRecord(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  payload.copy(out, RECORD_HEADER_BYTES);
  return out;
}

export type DecodeResult =
  | { kind: 'record'; payload: Buffer; next: number }
  /** The bytes stop inside this record: what a crash mid-write leaves. */
  | { kind: 'truncated' }
  | { kind: 'bad-checksum'; next: number }
  | { kind: 'bad-length'; length: number };

export function decodeRecordAt(
  buf: Buffer,
  offset: number,
  maxBytes = MAX_RECORD_BYTES,
): DecodeResult {
  if (buf.length - offset < RECORD_HEADER_BYTES) return { kind: 'truncated' };
  const length = buf.readUInt32BE(offset);
  const start = offset + RECORD_HEADER_BYTES;
  const next = start + length;
  if (next > buf.length) return { kind: 'truncated' };
  if (length === 0 || length > maxBytes) return { kind: 'bad-length', length };
  const payload = buf.subarray(start, next);
  if (crc32(payload) !== buf.readUInt32BE(offset + 4)) return { kind: 'bad-checksum', next };
  return { kind: 'record', payload, next };
}
