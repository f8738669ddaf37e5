import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * What the floor's processes (bench/heartbeat/majority-reference.ts) share: the frames they send
 * each other and their links. The heartbeat's own work is bench/heartbeat/heartbeat-work.ts.
 */

export const LOOPBACK = '127.0.0.1';
/** Bytes of the big-endian length in front of each frame. */
const LENGTH_BYTES = 4;
/** How long a process waits for a peer to listen: the three start at once, in no order. */
const CONNECT_FOR_MS = 10_000;
const CONNECT_RETRY_MS = 50;

/** One online entry as a round carries it: name, address, milliseconds since its heartbeat. */
export type OnlineEntry = [name: string, addr: string, ageMs: number];
/** Leader to follower: every entry changed since the last round. */
export interface RoundFrame {
  seq: number;
  online: OnlineEntry[];
}
/** Follower to leader: it holds round `seq`. */
export interface AckFrame {
  seq: number;
}
/** One heartbeat a follower took: the name and the address it gave. */
export type Beat = [name: string, addr: string];
/** Follower to leader: the heartbeats it took in one turn of its event loop. */
export interface BatchFrame {
  batch: number;
  beats: Beat[];
}
/** Leader to follower: it (with the follower, a majority of three) holds batch `batch`. */
export interface BatchAckFrame {
  batch: number;
}

export function encodeFrame(message: RoundFrame | AckFrame | BatchFrame | BatchAckFrame): Buffer {
  const json = Buffer.from(JSON.stringify(message));
  const length = Buffer.allocUnsafe(LENGTH_BYTES);
  length.writeUInt32BE(json.length, 0);
  return Buffer.concat([length, json]);
}

/** Cuts a byte stream into frames and hands each one, parsed, to `onFrame`. */
export function frameDecoder<T>(onFrame: (message: T) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    let offset = 0;
    while (pending.length - offset >= LENGTH_BYTES) {
      const length = pending.readUInt32BE(offset);
      const end = offset + LENGTH_BYTES + length;
      if (pending.length < end) break;
      onFrame(JSON.parse(pending.toString('utf8', offset + LENGTH_BYTES, end)) as T);
      offset = end;
    }
    pending = offset === pending.length ? Buffer.alloc(0) : pending.subarray(offset);
  };
}

/**
 * A server of frames on which each frame is answered by one frame, what `answer` returns: the
 * followers' server for rounds and the leader's for batches.
 */
export function answeringServer<T>(answer: (frame: T) => AckFrame | BatchAckFrame): Server {
  return createServer((socket) => {
    socket.setNoDelay(true);
    // The other end going away ends the run; its reset is not this process's error.
    socket.on('error', () => socket.destroy());
    socket.on(
      'data',
      frameDecoder<T>((frame) => socket.write(encodeFrame(answer(frame)))),
    );
  });
}

/** Listens on loopback; resolves once the server is up. */
export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve) => server.listen(port, LOOPBACK, resolve));
}

/** A link lost once made ends the process: the floor has no loss handling. */
function endOnLoss(link: Socket, what: string): void {
  const lost = (why: string) => {
    process.stderr.write(`${what} ${why}: the floor has no loss handling\n`);
    process.exit(1);
  };
  link.on('error', (err) => lost(`failed (${err.message})`));
  link.on('close', () => lost('closed'));
}

/**
 * Connects to a peer on loopback, trying again while it does not listen yet (for
 * CONNECT_FOR_MS), since the three processes start at once.
 */
export function connectLink(port: number, what: string): Promise<Socket> {
  const deadline = performance.now() + CONNECT_FOR_MS;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const link = connect(port, LOOPBACK);
      const refused = (err: Error) => {
        link.destroy();
        if (performance.now() > deadline) reject(new Error(`${what} on ${port}: ${err.message}`));
        else setTimeout(attempt, CONNECT_RETRY_MS);
      };
      link.once('error', refused);
      link.once('connect', () => {
        link.off('error', refused);
        link.setNoDelay(true);
        endOnLoss(link, `${what} on ${port}`);
        resolve(link);
      });
    };
    attempt();
  });
}
