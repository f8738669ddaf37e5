import { createServer as createHttpServer } from 'node:http';
import { type Socket } from 'node:net';
import {
  type Answer,
  heartbeatHandler,
  type Presence,
  registeredUsers,
  touch,
} from './heartbeat-work';
import {
  type AckFrame,
  type BatchAckFrame,
  type BatchFrame,
  type Beat,
  answeringServer,
  connectLink,
  encodeFrame,
  frameDecoder,
  listen,
  type OnlineEntry,
  type RoundFrame,
} from './majority-wire';

/** rollcall names the term on every answer; the floor does too, so that its answers are as long. */
const TERM = { 'rollcall-term': '1' };

/**
 * The floor for the heartbeat rate: the least a heartbeat that waits for a majority of three can
 * cost. A leader does the reference's heartbeat work (bench/heartbeat/reference-server.ts: parse
 * the JSON body, check the name, look the user up, move it to the end of the online map, answer
 * JSON, plus the `rollcall-term: 1` header rollcall sends) and answers only once one of its two
 * followers has acknowledged a round that carried the heartbeat: with the leader, a majority.
 *
 *   ROLE=follower PORT=p [HTTP_PORT=h LEADER_FWD_PORT=f]   a TCP server applying each round
 *   ROLE=leader PORT=p FOLLOWERS=p1,p2 [FWD_PORT=f]        node:http on p, replicating to both
 *   (both take USERS and USER_PREFIX as the reference does; each prints `listening` once all its
 *   servers are up and its links made, so the three may start at once, in any order)
 *
 * Rounds are length-prefixed JSON frames `{seq, online: [[name, addr, ageMs], ...]}` (every entry
 * changed since the last round), answered `{seq}`. One round is in flight at a time; heartbeats
 * that arrive meanwhile wait for the next, sent with setImmediate once the previous one is
 * acknowledged, so that a round carries every heartbeat of a busy moment. A round every 50 ms
 * when none is in flight stands in for Raft's heartbeats, and carries whatever changed.
 *
 * With HTTP_PORT and LEADER_FWD_PORT a follower also takes heartbeats, as rollcall's followers do
 * with follower_heartbeats: the same checks, then the heartbeats of one turn of its event loop go
 * to the leader's FWD_PORT as one frame `{batch, beats: [[name, addr], ...]}`. The leader puts
 * them in its online map and in the next round, and acknowledges `{batch}` at once (the follower
 * and the leader are a majority of three); the follower then applies them to its copy and answers
 * 200 with a `rollcall-via` header.
 *
 * It is a measuring stick, not a protocol: no terms, no elections, no leases, no log (a follower
 * keeps only the latest entry per name), no peer authentication, no handling of a lost frame or
 * follower (a link that fails ends the process). What rollcall pays beyond it is what those cost,
 * plus Nest, Fastify and the rest of its work per heartbeat.
 */

/** How often a leader with no round in flight sends one, as Raft's heartbeat would. */
const EMPTY_ROUND_EVERY_MS = 50;

function applyRound(copy: Map<string, Presence>, round: RoundFrame): void {
  const now = performance.now();
  for (const [name, addr, ageMs] of round.online)
    touch(copy, name, { addr, lastSeen: now - ageMs });
}

/** A follower's server for the leader's rounds: applies each to `copy` and acknowledges it. */
function roundServer(copy: Map<string, Presence>) {
  return answeringServer<RoundFrame>((round) => {
    applyRound(copy, round);
    return { seq: round.seq };
  });
}

interface Batch {
  beats: Beat[];
  answers: Answer[];
}

/**
 * A follower's heartbeats on their way to the leader: one batch per turn of the event loop, any
 * number in flight; each is applied to the follower's copy and answered on the leader's `{batch}`.
 */
class ForwardedBatches {
  private next: Batch = { beats: [], answers: [] };
  private readonly inFlight = new Map<number, Batch>();
  private lastBatch = 0;
  private flushScheduled = false;

  constructor(
    private readonly leader: Socket,
    private readonly copy: Map<string, Presence>,
    private readonly via: string,
  ) {
    leader.on(
      'data',
      frameDecoder<BatchAckFrame>((ack) => this.acked(ack.batch)),
    );
  }

  add(name: string, addr: string, answer: Answer): void {
    this.next.beats.push([name, addr]);
    this.next.answers.push(answer);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.next;
    this.next = { beats: [], answers: [] };
    this.inFlight.set(++this.lastBatch, batch);
    this.leader.write(encodeFrame({ batch: this.lastBatch, beats: batch.beats }));
  }

  private acked(id: number): void {
    const batch = this.inFlight.get(id);
    if (!batch) return;
    this.inFlight.delete(id);
    const now = performance.now();
    for (const [name, addr] of batch.beats) touch(this.copy, name, { addr, lastSeen: now });
    const headers = { 'rollcall-via': this.via };
    for (const answer of batch.answers) answer(headers);
  }
}

interface Forwarding {
  httpPort: number;
  leaderFwdPort: number;
}

/** The round server first (the leader connects to it), then the link to the leader, then HTTP. */
async function runFollower(port: number, forwarding: Forwarding | null): Promise<void> {
  const copy = new Map<string, Presence>();
  await listen(roundServer(copy), port);
  if (forwarding) {
    const link = await connectLink(forwarding.leaderFwdPort, 'link to the leader');
    const batches = new ForwardedBatches(link, copy, `floor-follower-${port}`);
    const http = createHttpServer(
      heartbeatHandler(
        registeredUsers(),
        (name, addr, answer) => batches.add(name, addr, answer),
        TERM,
      ),
    );
    await listen(http, forwarding.httpPort);
  }
  process.stdout.write('listening\n');
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
    // The regular round carries what changed with no answer waiting (heartbeats a follower took).
    setInterval(() => {
      if (!this.inFlight) this.sendRound();
    }, EMPTY_ROUND_EVERY_MS);
  }

  /** Records a change for the next round. */
  record(name: string, presence: Presence): void {
    touch(this.changed, name, presence);
  }

  /** Records a change, and `answer` to be called once a majority holds it. */
  hold(name: string, presence: Presence, answer: () => void): void {
    this.record(name, presence);
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

/**
 * The leader's server for the followers' batches: each beat goes into the online map and the next
 * round, and the batch is acknowledged at once.
 */
function forwardServer(online: Map<string, Presence>, rounds: MajorityRounds) {
  return answeringServer<BatchFrame>((frame) => {
    const now = performance.now();
    for (const [name, addr] of frame.beats) {
      const presence = { addr, lastSeen: now };
      touch(online, name, presence);
      rounds.record(name, presence);
    }
    return { batch: frame.batch };
  });
}

/** The links to the followers first (their round servers listen first), then FWD_PORT, then HTTP. */
async function runLeader(port: number, followerPorts: number[], fwdPort: number | null) {
  const registered = registeredUsers();
  const online = new Map<string, Presence>();
  const links = await Promise.all(followerPorts.map((p) => connectLink(p, 'follower link')));
  const rounds = new MajorityRounds(links);
  if (fwdPort !== null) await listen(forwardServer(online, rounds), fwdPort);
  const http = createHttpServer(
    heartbeatHandler(
      registered,
      (name, addr, answer) => {
        const presence = { addr, lastSeen: performance.now() };
        touch(online, name, presence);
        rounds.hold(name, presence, () => answer());
      },
      TERM,
    ),
  );
  await listen(http, port);
  process.stdout.write('listening\n');
}

function followerPortsFromEnv(): number[] {
  const ports = (process.env.FOLLOWERS ?? '').split(',').filter(Boolean).map(Number);
  if (ports.length !== 2 || !ports.every((p) => Number.isInteger(p) && p > 0)) {
    throw new Error(`FOLLOWERS needs two ports, comma-separated (got "${process.env.FOLLOWERS}")`);
  }
  return ports;
}

/** The port in env `name`, or null when it is not set. */
function optionalPort(name: string): number | null {
  const value = process.env[name];
  if (value === undefined || value === '') return null;
  const port = Number(value);
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`${name} must be a port (got "${value}")`);
  return port;
}

function forwardingFromEnv(): Forwarding | null {
  const httpPort = optionalPort('HTTP_PORT');
  const leaderFwdPort = optionalPort('LEADER_FWD_PORT');
  if (httpPort === null && leaderFwdPort === null) return null;
  if (httpPort === null || leaderFwdPort === null)
    throw new Error('a follower takes heartbeats with both HTTP_PORT and LEADER_FWD_PORT');
  return { httpPort, leaderFwdPort };
}

/** Starts the role ROLE names on PORT. */
async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 0);
  if (process.env.ROLE === 'follower') return runFollower(port, forwardingFromEnv());
  if (process.env.ROLE === 'leader')
    return runLeader(port, followerPortsFromEnv(), optionalPort('FWD_PORT'));
  throw new Error(`ROLE must be follower or leader (got "${process.env.ROLE}")`);
}

main().catch((err: Error) => {
  process.stderr.write(`majority reference: ${err.message}\n`);
  process.exit(1);
});
