import { Logger } from '@nestjs/common';
import { createServer, type Server, type Socket } from 'node:net';
import { type HostPort, isHostPortError, parseHostPort } from '../../common/address';
import { ConnectionsPerAddress } from '../../common/connections-per-address';
import { checkEnvelope, PING } from './envelope';
import { FRAGMENT, Reassembler } from './fragments';
import {
  FrameDecoder,
  FrameError,
  parseFrameJson,
  PROTOCOL_VERSION,
  type RawFrame,
  SEALED_VERSION,
} from './frame-codec';
import type { ClusterSecret } from '../../common/cluster-secret';
import { AcceptorHandshake, type FrameOpener } from './peer-auth';
import type { TransportHandlers } from '../election-io';
import { PeerLink } from './peer-link';

export interface TransportOptions {
  self: string;
  /** Where to listen; normally the address in `self`. */
  bind: HostPort;
  peers: string[];
  /** This node's HTTP base URL, stamped on every frame. */
  api: string;
  netTimeoutMs: number;
  retryMs: number;
  /** How often an otherwise silent link sends a ping; an inbound link silent 3x as long is dropped. */
  keepaliveMs: number;
  random: () => number;
  /** CLUSTER_SECRET: peers must prove they hold it, and every frame is authenticated. */
  secret?: ClusterSecret | null;
}

/** What a connection's hello frame turns into: nothing for the consensus core. */
const HANDSHAKE_DONE = Symbol('handshake done');

/** Inbound connections beyond this are refused: a cluster has a handful of peers. */
const MAX_INBOUND = 64;

/**
 * Persistent TCP between peers. Each node dials every other node and sends on that connection;
 * it receives on the connections the others dialled. Bad input costs only its connection.
 */
export class TcpTransport {
  private readonly logger = new Logger('Transport');
  private readonly links = new Map<string, PeerLink>();
  private readonly inbound = new Set<Socket>();
  private readonly peers: Set<string>;
  private server: Server | null = null;
  private handlers: TransportHandlers | null = null;
  private stopping = false;
  /** Peers may share an address (several nodes on one host), hence a multiple of their count. */
  private readonly perAddress: ConnectionsPerAddress;
  private readonly frameDeadlineMs: number;
  /** Counters for health views and tests. */
  readonly stats = { framesIn: 0, pingsIn: 0, rejected: 0 };

  constructor(private readonly o: TransportOptions) {
    this.peers = new Set(o.peers);
    this.perAddress = new ConnectionsPerAddress(Math.max(4, 2 * o.peers.length));
    this.frameDeadlineMs = Math.max(2000, 4 * o.netTimeoutMs);
  }

  /** Binds the election port and starts dialling peers. */
  async start(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers;
    const me = this.o.bind;
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = MAX_INBOUND;
    // Node closes a connection past maxConnections before accept() sees it; say so all the same.
    server.on('drop', (dropped) => {
      this.stats.rejected++;
      this.logger.warn(
        `refusing election connection from ${dropped?.remoteAddress ?? '?'}:${dropped?.remotePort ?? '?'}: ${MAX_INBOUND} already open (the limit)`,
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: me.host, port: me.port, exclusive: true }, () => resolve());
    });
    this.server = server;
    for (const peer of this.o.peers) {
      if (peer === this.o.self) continue;
      const address = parseHostPort(peer);
      if (isHostPortError(address)) throw new Error(`bad peer address ${peer}`);
      const link = new PeerLink({
        peer,
        address,
        netTimeoutMs: this.o.netTimeoutMs,
        retryMs: this.o.retryMs,
        keepaliveMs: this.o.keepaliveMs,
        random: this.o.random,
        ping: () => this.stamp({ type: PING, from: this.o.self, to: peer, term: 0, cpu: 0 }),
        onUnreachable: (p, refused) => this.handlers?.unreachable(p, refused),
        self: this.o.self,
        secret: this.o.secret ?? null,
        handshakeTimeoutMs: this.frameDeadlineMs,
      });
      this.links.set(peer, link);
      link.start();
    }
  }

  /** Inbound connections open now (for health views and tests). */
  get inboundCount(): number {
    return this.inbound.size;
  }

  send(message: { to: string }): boolean {
    return this.links.get(message.to)?.send(this.stamp(message)) ?? false;
  }

  isConnected(peer: string): boolean {
    return this.links.get(peer)?.isConnected ?? false;
  }

  /** How many times the link to `peer` has connected: more than once means it was re-established. */
  connections(peer: string): number {
    return this.links.get(peer)?.connections ?? 0;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const link of this.links.values()) link.stop();
    const server = this.server;
    this.server = null;
    // Stop listening before dropping connections, so a peer's redial is refused, not accepted.
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : null;
    for (const socket of this.inbound) socket.destroy();
    await closed;
  }

  private stamp(message: object): object {
    return { ...message, api: this.o.api };
  }

  private accept(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    // A peer keeps one connection, a few while it redials; more from one address is a flood,
    // and must not crowd the real peers out of the 64 the port takes.
    if (!this.perAddress.admit(socket)) {
      const host = socket.remoteAddress ?? '?';
      this.stats.rejected++;
      this.logger.warn(
        `refusing election connection from ${remote}: ${this.perAddress.from(host)} already open from ${host} (limit ${this.perAddress.max})`,
      );
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, this.o.keepaliveMs);
    // Half-open or silent connections are dropped; live peers ping well inside this window.
    socket.setTimeout(this.o.keepaliveMs * 3 + this.o.netTimeoutMs);
    const secret = this.o.secret ?? null;
    const decoder = new FrameDecoder(secret ? [PROTOCOL_VERSION, SEALED_VERSION] : undefined);
    const reassembler = new Reassembler();
    let claimed: string | null = null;
    const handshake = secret
      ? new AcceptorHandshake(secret, this.o.self, (id) => this.peers.has(id))
      : null;
    let opener: FrameOpener | null = null;
    /** A frame's JSON, checked against the session when there is a secret. */
    const unwrap = (frame: RawFrame): unknown => {
      if (!handshake) return parseFrameJson(frame.body);
      if (opener) {
        const json = opener.open(frame);
        if (typeof json === 'string') throw new FrameError(json);
        return parseFrameJson(json);
      }
      const ok = handshake.hello(frame);
      if (typeof ok === 'string') throw new FrameError(ok);
      opener = ok.opener;
      claimed = handshake.peer;
      socket.write(ok.welcome);
      return HANDSHAKE_DONE;
    };
    const reject = (why: string) => {
      this.stats.rejected++;
      this.logger.warn(
        `closing election connection from ${remote}${claimed ? ` (${claimed})` : ''}: ${why}`,
      );
      socket.destroy();
    };
    socket.on('timeout', () => {
      // Live peers ping well within the window: silence means a half-open link or a stranger.
      this.logger.warn(
        `closing election connection from ${remote}${claimed ? ` (${claimed})` : ''}: silent for ${socket.timeout} ms`,
      );
      socket.destroy();
    });
    socket.on('error', () => undefined); // the close handler does the cleanup
    socket.once('close', () => this.inbound.delete(socket));
    if (handshake) {
      socket.write(handshake.challenge());
      // A dialer that never answers the challenge is dropped like a trickling sender.
      const deadline = setTimeout(() => {
        if (!opener) reject(`no handshake within ${this.frameDeadlineMs} ms`);
      }, this.frameDeadlineMs);
      socket.once('close', () => clearTimeout(deadline));
    }
    let partialSince: number | null = null;
    socket.on('data', (chunk: Buffer) => {
      let frames: RawFrame[];
      try {
        frames = decoder.pushRaw(chunk);
      } catch (err) {
        reject(err instanceof FrameError ? err.message : String(err));
        return;
      }
      // A sender that trickles a frame byte by byte never trips the silence timeout; a frame
      // must be whole within the deadline of its first byte.
      if (decoder.pendingBytes === 0) partialSince = null;
      else if (partialSince === null) partialSince = performance.now();
      else if (performance.now() - partialSince > this.frameDeadlineMs) {
        return reject(
          `a frame took over ${this.frameDeadlineMs} ms to arrive (${decoder.pendingBytes} bytes so far): too slow a sender`,
        );
      }
      for (const raw of frames) {
        let frame: unknown;
        try {
          frame = unwrap(raw);
        } catch (err) {
          return reject(err instanceof FrameError ? err.message : String(err));
        }
        if (frame === HANDSHAKE_DONE) continue;
        let whole: unknown = frame;
        if ((frame as { type?: unknown })?.type === FRAGMENT) {
          const envelope = checkEnvelope(frame);
          if (typeof envelope === 'string') return reject(envelope);
          try {
            whole = reassembler.push(envelope);
          } catch (err) {
            return reject((err as Error).message);
          }
          if (whole === null) continue;
        }
        const envelope = checkEnvelope(whole);
        if (typeof envelope === 'string') return reject(envelope);
        if (envelope.to !== this.o.self) {
          return reject(`frame addressed to ${envelope.to}, not to this node`);
        }
        if (!this.peers.has(envelope.from) || envelope.from === this.o.self) {
          return reject(`sender ${envelope.from} is not a peer`);
        }
        if (claimed !== null && claimed !== envelope.from) {
          return reject('sender changed mid-connection');
        }
        claimed = envelope.from;
        this.stats.framesIn++;
        if (envelope.type === PING) {
          this.stats.pingsIn++;
          this.handlers?.ping?.(envelope);
          continue;
        }
        try {
          this.handlers?.message(envelope);
        } catch (err) {
          return reject(`message refused: ${(err as Error).message}`);
        }
      }
    });
  }
}
