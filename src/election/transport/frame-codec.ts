/**
 * Frames on the election port: `[u32 length][u8 version][JSON]`, length counting version and
 * JSON. A peer that sends anything else loses its connection, nothing more.
 */
export const PROTOCOL_VERSION = 1;
export const MAX_FRAME_BYTES = 1024 * 1024;
const LENGTH_BYTES = 4;

export class FrameError extends Error {}

export function encodeFrame(body: unknown): Buffer {
  return encodeJsonFrame(Buffer.from(JSON.stringify(body)));
}

/** Frames a message that is already serialized. */
export function encodeJsonFrame(json: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + 1 + json.length);
  frame.writeUInt32BE(json.length + 1, 0);
  frame.writeUInt8(PROTOCOL_VERSION, LENGTH_BYTES);
  json.copy(frame, LENGTH_BYTES + 1);
  return frame;
}

/** Reassembles frames from a byte stream; throws FrameError on the first bad one. */
export class FrameDecoder {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;

  /** Bytes of a frame begun but not yet whole. */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  push(chunk: Buffer): unknown[] {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.bufferedBytes < LENGTH_BYTES) return out;
      const head = this.peek(LENGTH_BYTES + 1);
      const length = head.readUInt32BE(0);
      // Checked before waiting for the body, so a lying length cannot make us buffer 4 GiB.
      if (length > MAX_FRAME_BYTES)
        throw new FrameError(`frame of ${length} bytes is over the 1 MiB limit`);
      if (length === 0) throw new FrameError('empty frame');
      if (head.length > LENGTH_BYTES && head[LENGTH_BYTES] !== PROTOCOL_VERSION) {
        throw new FrameError(`unknown protocol version ${head[LENGTH_BYTES]}`);
      }
      if (this.bufferedBytes < LENGTH_BYTES + length) return out;
      const frame = this.take(LENGTH_BYTES + length);
      const json = frame.subarray(LENGTH_BYTES + 1).toString('utf8');
      try {
        out.push(JSON.parse(json));
      } catch {
        throw new FrameError('frame body is not JSON');
      }
    }
  }

  private peek(n: number): Buffer {
    if (this.buffered[0].length >= n || this.buffered.length === 1)
      return this.buffered[0].subarray(0, n);
    const joined = Buffer.concat(this.buffered);
    this.buffered = [joined];
    return joined.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.bufferedBytes = rest.length;
    return frame;
  }
}
