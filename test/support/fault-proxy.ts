import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * The election port's framing, `[u32 BE length][u8 version][body]` with the length counting
 * version and body. The proxy splits frames itself, on bytes only, so that what it forwards is
 * exactly what the node sent: version 2 frames (authenticated, opaque) pass as they came.
 */
const LENGTH_BYTES = 4;
const MAX_FRAME_BYTES = 1024 * 1024;

export class FrameSplitError extends Error {}

/** Cuts a byte stream into whole frames, each returned as its original bytes. */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    let at = 0;
    while (this.pending.length - at >= LENGTH_BYTES) {
      const length = this.pending.readUInt32BE(at);
      // Refused before its body arrives, so a lying length cannot make the proxy buffer 4 GiB.
      if (length === 0 || length > MAX_FRAME_BYTES) {
        throw new FrameSplitError(`frame length ${length} is outside 1..${MAX_FRAME_BYTES}`);
      }
      if (this.pending.length - at < LENGTH_BYTES + length) break;
      // A copy: a delayed frame outlives the chunk it came in.
      frames.push(Buffer.from(this.pending.subarray(at, at + LENGTH_BYTES + length)));
      at += LENGTH_BYTES + length;
    }
    this.pending = this.pending.subarray(at);
    return frames;
  }
}

/** The sender named in a connection's first frame (version 1, JSON with `from`), or null. */
export function senderOf(frame: Buffer): string | null {
  if (frame.length <= LENGTH_BYTES || frame[LENGTH_BYTES] !== 1) return null;
  try {
    const body = JSON.parse(frame.subarray(LENGTH_BYTES + 1).toString('utf8')) as unknown;
    const from = (body as { from?: unknown } | null)?.from;
    return typeof from === 'string' ? from : null;
  } catch {
    return null;
  }
}

/** Counts of what the mesh did to frames, for a chaos report. */
export interface MeshStats {
  forwarded: number;
  droppedByCut: number;
  droppedByLoss: number;
  delayed: number;
}

export interface ProxyMeshOptions {
  /** Seed of the loss draws, so a run's drops follow from its seed and its traffic. */
  seed?: number;
}

/**
 * Frames leaving in one direction of one connection, in order: a frame is written at
 * max(arrival + delay, the previous frame's time), as TCP would deliver them, by one timer.
 */
class OrderedSender {
  private readonly queue: { at: number; bytes: Buffer }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private lastAt = 0;

  constructor(private readonly out: Socket) {}

  send(bytes: Buffer, delayMs: number): void {
    const now = performance.now();
    const at = Math.max(now + delayMs, this.lastAt);
    this.lastAt = at;
    if (this.queue.length === 0 && at <= now) {
      this.out.write(bytes);
      return;
    }
    this.queue.push({ at, bytes });
    this.arm();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }

  private arm(): void {
    if (this.timer || this.queue.length === 0) return;
    const wait = Math.max(0, this.queue[0].at - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = performance.now();
      while (this.queue.length > 0 && this.queue[0].at <= now) {
        this.out.write(this.queue.shift()!.bytes);
      }
      this.arm();
    }, wait);
  }
}

/**
 * A fault-injecting TCP proxy mesh for the election port. Each node is known to its peers by a
 * proxy address (its id) while it listens elsewhere (ELECTION_BIND); the proxy in front of a
 * node learns each connection's sender from its first frame, so it can cut, thin out or slow
 * down any direction. A cut drops frames and keeps the connection open, as a real partition
 * does: nobody gets a refusal or a reset. Frames are forwarded as the bytes that came in.
 */
export class ProxyMesh {
  private readonly servers = new Map<string, Server>();
  private readonly sockets = new Set<Socket>();
  /** The relayed connections to each node, so that `refuse` can drop them. */
  private readonly socketsTo = new Map<string, Set<Socket>>();
  private readonly blocked = new Set<string>();
  private readonly loss = new Map<string, number>();
  private readonly delays = new Map<string, number>();
  private rngState: number;
  /** Delay of every direction that has none of its own (setDelay). */
  delayMs = 0;
  readonly stats: MeshStats = { forwarded: 0, droppedByCut: 0, droppedByLoss: 0, delayed: 0 };

  /** `routes` maps each node id (a proxy address on 127.0.0.1) to the port the node listens on. */
  constructor(
    private readonly routes: Map<string, number>,
    opts: ProxyMeshOptions = {},
  ) {
    this.rngState = (opts.seed ?? 1) >>> 0;
  }

  async start(): Promise<void> {
    for (const id of this.routes.keys()) await this.listen(id);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([...this.servers.values()].map((s) => new Promise((r) => s.close(r))));
  }

  /**
   * Makes the proxy in front of `id` refuse connections and drops those it relays, while the
   * node behind it lives: what a proxy or NAT may do in front of a live node.
   */
  async refuse(id: string): Promise<void> {
    const server = this.servers.get(id);
    if (!server) return;
    this.servers.delete(id);
    const closed = new Promise((r) => server.close(r));
    for (const s of this.socketsTo.get(id) ?? []) s.destroy();
    await closed;
  }

  /** Accepts connections for `id` again, after `refuse`. */
  async accept(id: string): Promise<void> {
    if (!this.servers.has(id)) await this.listen(id);
  }

  private async listen(id: string): Promise<void> {
    const target = this.routes.get(id)!;
    const server = createServer((client) => this.relay(id, target, client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(id.split(':')[1]), '127.0.0.1', () => resolve());
    });
    this.servers.set(id, server);
  }

  /** Cuts every link between groups; links inside a group stay up. */
  partition(...groups: string[][]): void {
    this.heal();
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const from of a) for (const to of b) this.blocked.add(`${from}>${to}`);
      }
    }
  }

  isolate(id: string): void {
    this.partition(
      [id],
      [...this.routes.keys()].filter((k) => k !== id),
    );
  }

  /** Cuts one direction only. */
  cut(from: string, to: string): void {
    this.blocked.add(`${from}>${to}`);
  }

  /** Drops each frame from `from` to `to` with probability `p` (0 ends the loss). */
  setLoss(from: string, to: string, p: number): void {
    if (p > 0) this.loss.set(`${from}>${to}`, Math.min(1, p));
    else this.loss.delete(`${from}>${to}`);
  }

  /** Delays frames from `from` to `to` by `ms`, keeping their order (0 ends the delay). */
  setDelay(from: string, to: string, ms: number): void {
    if (ms > 0) this.delays.set(`${from}>${to}`, ms);
    else this.delays.delete(`${from}>${to}`);
  }

  /** Ends every cut, loss and per-direction delay (the mesh-wide `delayMs` stays as set). */
  heal(): void {
    this.blocked.clear();
    this.loss.clear();
    this.delays.clear();
  }

  /** Whether any cut, loss or delay is in force. */
  get faulty(): boolean {
    return this.blocked.size > 0 || this.loss.size > 0 || this.delays.size > 0 || this.delayMs > 0;
  }

  /** mulberry32: small, seedable, and good enough to decide which frames a lossy link drops. */
  private random(): number {
    this.rngState = (this.rngState + 0x6d2b79f5) >>> 0;
    let t = this.rngState;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Forwards, drops or delays one frame going `direction` (`from>to`). */
  private pass(direction: string | null, frame: Buffer, out: OrderedSender): void {
    if (direction !== null) {
      if (this.blocked.has(direction)) {
        this.stats.droppedByCut++;
        return;
      }
      const p = this.loss.get(direction);
      if (p !== undefined && this.random() < p) {
        this.stats.droppedByLoss++;
        return;
      }
    }
    const delay = (direction !== null ? this.delays.get(direction) : undefined) ?? this.delayMs;
    if (delay > 0) this.stats.delayed++;
    this.stats.forwarded++;
    out.send(frame, delay);
  }

  private relay(to: string, target: number, client: Socket): void {
    const upstream = connect({ host: '127.0.0.1', port: target });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const toThisNode = this.socketsTo.get(to) ?? new Set<Socket>();
    this.socketsTo.set(to, toThisNode.add(client).add(upstream));
    const toNode = new OrderedSender(upstream);
    const toDialer = new OrderedSender(client);
    const inbound = new FrameSplitter();
    const outbound = new FrameSplitter();
    let from: string | null = null;
    const close = () => {
      toNode.close();
      toDialer.close();
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      toThisNode.delete(client);
      toThisNode.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = inbound.push(chunk);
      } catch {
        return close();
      }
      for (const frame of frames) {
        if (from === null) {
          from = senderOf(frame);
          // The first frame always names its sender; one that does not is not a peer.
          if (from === null) return close();
        }
        this.pass(`${from}>${to}`, frame, toNode);
      }
    });
    // Anything the node sends back on this connection travels the other direction.
    upstream.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = outbound.push(chunk);
      } catch {
        return close();
      }
      for (const frame of frames)
        this.pass(from === null ? null : `${to}>${from}`, frame, toDialer);
    });
    for (const s of [client, upstream]) {
      s.on('error', close);
      s.on('close', close);
    }
  }
}
