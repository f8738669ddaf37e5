/**
 * Frames on the election port: `[u32 length][u8 version][body]`, length counting version and
 * body. Version 1 carries JSON; version 2 carries an authenticated body (see peer-auth.ts) and is
 * spoken only between nodes that share CLUSTER_SECRET. A peer that sends anything else loses its
 * connection, nothing more.
 */
export const PROTOCOL_VERSION = 1;
export const SEALED_VERSION = 2;
export const MAX_FRAME_BYTES = 1024 * 1024;
const LENGTH_BYTES = 4;

export class FrameError extends Error {}

export interface RawFrame {
  version: number;
  body: Buffer;
}

export function encodeFrame(body: unknown): Buffer {
  return encodeJsonTextFrame(JSON.stringify(body));
}

/** Frames a message that is already serialized. */
export function encodeJsonFrame(json: Buffer): Buffer {
  return encodeRawFrame(PROTOCOL_VERSION, [json]);
}

/** A frame with its header written and room for `bodyBytes` of body after it. */
function frameWithHeader(version: number, bodyBytes: number): Buffer {
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + 1 + bodyBytes);
  frame.writeUInt32BE(bodyBytes + 1, 0);
  frame.writeUInt8(version, LENGTH_BYTES);
  return frame;
}

/** Frames JSON text, encoding it straight into the frame: no buffer of its own to copy. */
export function encodeJsonTextFrame(json: string, bodyBytes = Buffer.byteLength(json)): Buffer {
  const frame = frameWithHeader(PROTOCOL_VERSION, bodyBytes);
  frame.write(json, LENGTH_BYTES + 1, 'utf8');
  return frame;
}

/** Frames a body given in parts, so callers need not join them first. */
export function encodeRawFrame(version: number, parts: readonly Buffer[]): Buffer {
  let bodyBytes = 0;
  for (const p of parts) bodyBytes += p.length;
  const frame = frameWithHeader(version, bodyBytes);
  let at = LENGTH_BYTES + 1;
  for (const p of parts) at += p.copy(frame, at);
  return frame;
}

/** Parses the JSON of a frame's body; throws FrameError when it is not JSON. */
export function parseFrameJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new FrameError('frame body is not JSON');
  }
}

/**
 * Reassembles frames from a byte stream; throws FrameError on the first bad one. It accepts the
 * versions it is given (version 1 only unless told), so a node without a secret refuses sealed
 * frames at the framing layer.
 */
export class FrameDecoder {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;

  constructor(private readonly versions: readonly number[] = [PROTOCOL_VERSION]) {}

  /** Bytes of a frame begun but not yet whole. */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  /** Whole version-1 frames, parsed. */
  push(chunk: Buffer): unknown[] {
    return this.pushRaw(chunk).map((f) => parseFrameJson(f.body));
  }

  pushRaw(chunk: Buffer): RawFrame[] {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    const out: RawFrame[] = [];
    for (;;) {
      if (this.bufferedBytes < LENGTH_BYTES) return out;
      const head = this.peek(LENGTH_BYTES + 1);
      const length = head.readUInt32BE(0);
      // Checked before waiting for the body, so a lying length cannot make us buffer 4 GiB.
      if (length > MAX_FRAME_BYTES)
        throw new FrameError(`frame of ${length} bytes is over the 1 MiB limit`);
      if (length === 0) throw new FrameError('empty frame');
      if (head.length > LENGTH_BYTES && !this.versions.includes(head[LENGTH_BYTES])) {
        throw new FrameError(`unknown protocol version ${head[LENGTH_BYTES]}`);
      }
      if (this.bufferedBytes < LENGTH_BYTES + length) return out;
      const frame = this.take(LENGTH_BYTES + length);
      out.push({ version: frame[LENGTH_BYTES], body: frame.subarray(LENGTH_BYTES + 1) });
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
