import { type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Server, type Socket } from 'node:net';

/**
 * What the floor's processes (bench/heartbeat/majority-reference.ts) share: the frames they send
 * each other, their links, and the heartbeat's HTTP checks that the leader and the followers do
 * alike.
 */

export const LOOPBACK = '127.0.0.1';
const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;
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
export interface Presence {
  addr: string;
  lastSeen: number;
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

/** Moves `name` to the end of `map` (the most recent), as the reference's online map does. */
export function touch(map: Map<string, Presence>, name: string, presence: Presence): void {
  map.delete(name);
  map.set(name, presence);
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

/** `alice` and USERS more named `${USER_PREFIX}0` ..., as the reference and the bench hold. */
export function registeredUsers(): Map<string, { addr: string }> {
  const registered = new Map([['alice', { addr: '192.168.1.10:9000' }]]);
  const extraUsers = Number(process.env.USERS ?? 0);
  const prefix = process.env.USER_PREFIX ?? 'hb-';
  for (let i = 0; i < extraUsers; i++) {
    registered.set(`${prefix}${i}`, { addr: `10.0.${(i >> 8) & 255}.${i & 255}:9000` });
  }
  return registered;
}

function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'rollcall-term': '1',
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Answers the heartbeat 200, with `headers` beside the term. */
export type Answer = (headers?: Record<string, string>) => void;
/** What to do with a heartbeat that passed the checks: `answer` it once a majority holds it. */
export type AcceptHeartbeat = (username: string, addr: string, answer: Answer) => void;

/**
 * The reference's heartbeat work (parse the JSON body, check the name, look the user up), with
 * the same 4xx answers; a heartbeat that passes goes to `accept`.
 */
export function heartbeatHandler(
  registered: Map<string, { addr: string }>,
  accept: AcceptHeartbeat,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'POST' || req.url !== '/heartbeat')
      return reply(res, 404, { success: false });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { username?: unknown; addr?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return reply(res, 400, { success: false, message: 'Malformed JSON' });
      }
      const { username } = body;
      if (typeof username !== 'string' || !USERNAME.test(username))
        return reply(res, 400, { success: false, message: 'bad username' });
      const user = registered.get(username);
      if (!user) return reply(res, 404, { success: false, message: 'not registered' });
      const at = typeof body.addr === 'string' ? body.addr : user.addr;
      const message = `Heartbeat accepted for '${username}' at ${at}`;
      accept(username, at, (headers) => reply(res, 200, { success: true, message }, headers));
    });
  };
}
