import { decodeRecordAt } from './record-codec';
import { StoreCorruptError } from './user-store';

export interface Recovered<T> {
  items: T[];
  /** Byte offset of each item's record. */
  offsets: number[];
  /** Bytes of whole records: where the file must be cut back to before appending. */
  validBytes: number;
  /** Bytes of a torn last record that a crash left, dropped; 0 when the file ended cleanly. */
  tornBytes: number;
}

/** How far past a bad record to look for a whole one: records are small. */
const RESYNC_WINDOW_BYTES = 64 * 1024;

/**
 * Reads every whole record of an append-only file. A torn tail (what a crash mid-write leaves)
 * is dropped; any other damage throws, because cutting there would lose acknowledged data.
 */
export function recoverRecords<T>(
  buf: Buffer,
  file: string,
  parse: (payload: Buffer) => T | null,
): Recovered<T> {
  const items: T[] = [];
  const offsets: number[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const r = decodeRecordAt(buf, offset);
    if (r.kind === 'record') {
      const item = parse(r.payload);
      if (item === null) {
        throw new StoreCorruptError(
          file,
          offset,
          'checksum is right but the record makes no sense',
        );
      }
      items.push(item);
      offsets.push(offset);
      offset = r.next;
      continue;
    }
    const isLast = r.kind === 'truncated' || (r.kind === 'bad-checksum' && r.next === buf.length);
    // A damaged length can point past the end and pass for a torn tail: if a whole record
    // still follows, this is damage in the middle.
    if ((!isLast && !allZero(buf, offset)) || wholeRecordAfter(buf, offset, parse)) {
      const why =
        r.kind === 'bad-length'
          ? `length ${r.length} is impossible`
          : r.kind === 'truncated'
            ? 'its length runs past the end'
            : 'checksum mismatch';
      throw new StoreCorruptError(file, offset, `${why}, and whole records follow it`);
    }
    return { items, offsets, validBytes: offset, tornBytes: buf.length - offset };
  }
  return { items, offsets, validBytes: offset, tornBytes: 0 };
}

function wholeRecordAfter<T>(buf: Buffer, from: number, parse: (p: Buffer) => T | null): boolean {
  const end = Math.min(buf.length, from + RESYNC_WINDOW_BYTES);
  for (let at = from + 1; at < end; at++) {
    const r = decodeRecordAt(buf, at);
    if (r.kind === 'record' && parse(r.payload) !== null) return true;
  }
  return false;
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Parses a JSON payload and checks its shape; null when it is not what `is` expects. */
export function jsonPayload<T>(is: (v: unknown) => v is T): (payload: Buffer) => T | null {
  return (payload) => {
    try {
      const v: unknown = JSON.parse(payload.toString('utf8'));
      return is(v) ? v : null;
    } catch {
      return null;
    }
  };
}
