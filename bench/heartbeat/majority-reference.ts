import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';

/**
 * The floor for the heartbeat rate: the least a heartbeat that waits for a majority of three can
 * cost. A leader does the reference's heartbeat work (bench/heartbeat/reference-server.ts: parse
 * the JSON body, check the name, look the user up, move it to the end of the online map, answer
 * JSON, plus the `rollcall-term: 1` header rollcall sends) and answers only once one of its two
 * followers has acknowledged a round that carried the heartbeat: with the leader, a majority.
 *
 *   ROLE=follower PORT=p                    a TCP server applying each round to its copy
 *   ROLE=leader PORT=p FOLLOWERS=p1,p2      node:http on p, replicating to the followers
 *   (both take USERS and USER_PREFIX as the reference does; both print `listening` when ready)
 *
 * Rounds are length-prefixed JSON frames `{seq, online: [[name, addr, ageMs], ...]}` (every entry
 * changed since the last round), answered `{seq}`. One round is in flight at a time; heartbeats
 * that arrive meanwhile wait for the next, sent with setImmediate once the previous one is
 * acknowledged, so that a round carries every heartbeat of a busy moment. An empty round every
 * 50 ms when none is in flight stands in for Raft's heartbeats.
 *
 * It is a measuring stick, not a protocol: no terms, no elections, no leases, no log (a follower
 * keeps only the latest entry per name), no peer authentication, no handling of a lost frame or
 * follower (a link that fails ends the process). What rollcall pays beyond it is what those cost,
 * plus Nest, Fastify and the rest of its work per heartbeat.
 */

const LOOPBACK = '127.0.0.1';
const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;
/** How often a leader with no round in flight sends an empty one, as Raft's heartbeat would. */
const EMPTY_ROUND_EVERY_MS = 50;
/** Bytes of the big-endian length in front of each frame. */
const LENGTH_BYTES = 4;

/** One online entry as a round carries it: name, address, milliseconds since its heartbeat. */
type OnlineEntry = [name: string, addr: string, ageMs: number];
interface RoundFrame {
  seq: number;
  online: OnlineEntry[];
}
interface AckFrame {
  seq: number;
}
interface Presence {
  addr: string;
  lastSeen: number;
}

function encodeFrame(message: RoundFrame | AckFrame): Buffer {
  const json = Buffer.from(JSON.stringify(message));
  const length = Buffer.allocUnsafe(LENGTH_BYTES);
  length.writeUInt32BE(json.length, 0);
  return Buffer.concat([length, json]);
}

/** Cuts a byte stream into frames and hands each one, parsed, to `onFrame`. */
function frameDecoder<T>(onFrame: (message: T) => void): (chunk: Buffer) => void {
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

function applyRound(copy: Map<string, Presence>, round: RoundFrame): void {
  const now = performance.now();
  for (const [name, addr, ageMs] of round.online) {
    copy.delete(name);
    copy.set(name, { addr, lastSeen: now - ageMs });
  }
}

function runFollower(port: number): void {
  const copy = new Map<string, Presence>();
  createTcpServer((socket) => {
    socket.setNoDelay(true);
    // The leader going away ends the run; its reset is not this process's error.
    socket.on('error', () => socket.destroy());
    socket.on(
      'data',
      frameDecoder<RoundFrame>((round) => {
        applyRound(copy, round);
        socket.write(encodeFrame({ seq: round.seq }));
      }),
    );
  }).listen(port, LOOPBACK, () => process.stdout.write('listening\n'));
}

/**
 * The leader's replication: changed entries and held answers gather until the next round; a
 * round's answers go out on the first acknowledgement of it (the leader and one follower).
 */
class MajorityRounds {
  private readonly changed = new Map<string, Presence>();
  private waiting: (() => void)[] = [];
  private inFlight: { seq: number; answers: (() => void)[] } | null = null;
  private lastSeq = 0;
  private roundScheduled = false;

  constructor(private readonly followers: Socket[]) {
    for (const link of followers) {
      // One decoder per link: each holds its own link's partial frame.
      const readAcks = frameDecoder<AckFrame>((ack) => this.acked(ack.seq));
      link.on('data', readAcks);
    }
    setInterval(() => {
      if (!this.inFlight) this.sendRound();
    }, EMPTY_ROUND_EVERY_MS);
  }

  /** Records a change, and `answer` to be called once a majority holds it. */
  hold(name: string, presence: Presence, answer: () => void): void {
    this.changed.delete(name);
    this.changed.set(name, presence);
    this.waiting.push(answer);
    this.scheduleRound();
  }

  private scheduleRound(): void {
    if (this.roundScheduled || this.inFlight) return;
    this.roundScheduled = true;
    setImmediate(() => {
      this.roundScheduled = false;
      if (!this.inFlight && this.waiting.length > 0) this.sendRound();
    });
  }

  private sendRound(): void {
    const now = performance.now();
    const online: OnlineEntry[] = [];
    for (const [name, p] of this.changed) online.push([name, p.addr, Math.round(now - p.lastSeen)]);
    this.changed.clear();
    this.inFlight = { seq: ++this.lastSeq, answers: this.waiting };
    this.waiting = [];
    const frame = encodeFrame({ seq: this.lastSeq, online });
    for (const link of this.followers) link.write(frame);
  }

  /** The first acknowledgement of the round in flight releases it; the second is late. */
  private acked(seq: number): void {
    if (!this.inFlight || seq !== this.inFlight.seq) return;
    const { answers } = this.inFlight;
    this.inFlight = null;
    for (const answer of answers) answer();
    if (this.waiting.length > 0) this.scheduleRound();
  }
}

/** `alice` and USERS more named `${USER_PREFIX}0` ..., as the reference and the bench hold. */
function registeredUsers(): Map<string, { addr: string }> {
  const registered = new Map([['alice', { addr: '192.168.1.10:9000' }]]);
  const extraUsers = Number(process.env.USERS ?? 0);
  const prefix = process.env.USER_PREFIX ?? 'hb-';
  for (let i = 0; i < extraUsers; i++) {
    registered.set(`${prefix}${i}`, { addr: `10.0.${(i >> 8) & 255}.${i & 255}:9000` });
  }
  return registered;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'rollcall-term': '1',
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Connects to every follower; the links are ready once all are connected. */
function connectFollowers(ports: number[]): Promise<Socket[]> {
  return Promise.all(
    ports.map(
      (port) =>
        new Promise<Socket>((resolve) => {
          const link = connect(port, LOOPBACK, () => resolve(link));
          link.setNoDelay(true);
          const lost = (why: string) => {
            process.stderr.write(
              `follower link to ${port} ${why}: the floor has no loss handling\n`,
            );
            process.exit(1);
          };
          link.on('error', (err) => lost(`failed (${err.message})`));
          link.on('close', () => lost('closed'));
        }),
    ),
  );
}

async function runLeader(port: number, followerPorts: number[]): Promise<void> {
  const registered = registeredUsers();
  const online = new Map<string, Presence>();
  const rounds = new MajorityRounds(await connectFollowers(followerPorts));
  createHttpServer((req, res) => {
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
      const presence = { addr: at, lastSeen: performance.now() };
      online.delete(username);
      online.set(username, presence);
      const message = `Heartbeat accepted for '${username}' at ${at}`;
      rounds.hold(username, presence, () => reply(res, 200, { success: true, message }));
    });
  }).listen(port, LOOPBACK, () => process.stdout.write('listening\n'));
}

function followerPortsFromEnv(): number[] {
  const ports = (process.env.FOLLOWERS ?? '').split(',').filter(Boolean).map(Number);
  if (ports.length !== 2 || !ports.every((p) => Number.isInteger(p) && p > 0)) {
    throw new Error(`FOLLOWERS needs two ports, comma-separated (got "${process.env.FOLLOWERS}")`);
  }
  return ports;
}

/** Starts the role ROLE names on PORT. */
async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 0);
  if (process.env.ROLE === 'follower') return runFollower(port);
  if (process.env.ROLE === 'leader') return runLeader(port, followerPortsFromEnv());
  throw new Error(`ROLE must be follower or leader (got "${process.env.ROLE}")`);
}

main().catch((err: Error) => {
  process.stderr.write(`majority reference: ${err.message}\n`);
  process.exit(1);
});
