import type { Logger } from '@nestjs/common';
import type { Socket } from 'node:net';
import type { Clock } from '../../common/clock';
import type { ClusterSecret } from '../../common/cluster-secret';
import type { TransportHandlers } from '../election-io';
import { checkEnvelope, type Envelope, PING } from './envelope';
import { FRAGMENT, Reassembler } from './fragments';
import {
  FrameDecoder,
  FrameError,
  parseFrameJson,
  PROTOCOL_VERSION,
  type RawFrame,
  SEALED_VERSION,
} from './frame-codec';
import { AcceptorHandshake, type FrameOpener } from './peer-auth';

export interface InboundOptions {
  self: string;
  isPeer: (id: string) => boolean;
  secret: ClusterSecret | null;
  keepaliveMs: number;
  netTimeoutMs: number;
  /** How long the handshake, and any one frame from its first byte, may take. */
  frameDeadlineMs: number;
  clock: Clock;
  handlers: TransportHandlers;
  /** The transport's counters, shared by all its connections. */
  stats: { framesIn: number; pingsIn: number; rejected: number };
  logger: Logger;
  /** Why the connection may not speak for `claimed` (its TLS certificate names another host). */
  claimProblem: (claimed: string) => string | null;
  /**
   * The connection now speaks for `peer`: it passed the handshake or sent its first frame (or
   * fragment). False when a newer connection already speaks for that peer: this one is stale.
   */
  speaksFor: (peer: string, socket: Socket) => boolean;
}

/** What a connection's hello frame turns into: nothing for the consensus core. */
const HANDSHAKE_DONE = Symbol('handshake done');

/**
 * The inbound half of a peer connection: a peer dials us and sends on it. With a secret, the
 * peer first proves it holds it and every frame is then authenticated. Frames are put back
 * together, checked and handed to the election; anything wrong costs the connection.
 */
export class InboundConnection {
  private readonly remote: string;
  private readonly decoder: FrameDecoder;
  private readonly reassembler = new Reassembler();
  private readonly handshake: AcceptorHandshake | null;
  private opener: FrameOpener | null = null;
  /** The peer on the other end, once its hello or first frame named it. */
  private claimed: string | null = null;
  /** Monotonic ms at which the frame now arriving began, or null between frames. */
  private partialSince: number | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly o: InboundOptions,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const secret = o.secret;
    this.decoder = new FrameDecoder(secret ? [PROTOCOL_VERSION, SEALED_VERSION] : undefined);
    this.handshake = secret ? new AcceptorHandshake(secret, o.self, o.isPeer) : null;
  }

  start(): void {
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, this.o.keepaliveMs);
    // Half-open or silent connections are dropped; live peers ping well inside this window.
    socket.setTimeout(this.o.keepaliveMs * 3 + this.o.netTimeoutMs);
    let confirming: NodeJS.Timeout | null = null;
    socket.on('timeout', () => {
      if (confirming) return;
      // After a stall of this process's event loop (a GC pause, a snapshot's encoding) the timer
      // is due before the loop has read what the peer sent meanwhile, or before its own ping
      // went out: the verdict waits one ping interval of a running loop.
      const readBefore = socket.bytesRead;
      confirming = setTimeout(() => {
        confirming = null;
        if (socket.destroyed || socket.bytesRead !== readBefore) return;
        // Live peers ping well within the window: silence means a half-open link or a stranger.
        this.o.logger.warn(`${this.closing()}: silent for ${socket.timeout} ms`);
        socket.destroy();
      }, this.o.keepaliveMs);
    });
    socket.once('close', () => {
      if (confirming) clearTimeout(confirming);
    });
    socket.on('error', () => undefined); // the close handler does the cleanup
    if (this.handshake) {
      socket.write(this.handshake.challenge());
      // A dialer that never answers the challenge is dropped like a trickling sender.
      const deadline = setTimeout(() => {
        if (!this.opener) this.reject(`no handshake within ${this.o.frameDeadlineMs} ms`);
      }, this.o.frameDeadlineMs);
      socket.once('close', () => clearTimeout(deadline));
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  private onData(chunk: Buffer): void {
    let frames: RawFrame[];
    try {
      frames = this.decoder.pushRaw(chunk);
    } catch (err) {
      this.reject(err instanceof FrameError ? err.message : String(err));
      return;
    }
    if (this.tooSlow()) {
      this.reject(
        `a frame took over ${this.o.frameDeadlineMs} ms to arrive (${this.decoder.pendingBytes} bytes so far): too slow a sender`,
      );
      return;
    }
    for (const raw of frames) {
      let frame: unknown;
      try {
        frame = this.unwrap(raw);
      } catch (err) {
        this.reject(err instanceof FrameError ? err.message : String(err));
        return;
      }
      if (frame !== HANDSHAKE_DONE && !this.take(frame)) return;
    }
  }

  /**
   * A sender that trickles a frame byte by byte never trips the silence timeout; a frame must be
   * whole within the deadline of its first byte.
   */
  private tooSlow(): boolean {
    const now = this.o.clock.monotonicMs();
    if (this.decoder.pendingBytes === 0) this.partialSince = null;
    else if (this.partialSince === null) this.partialSince = now;
    else return now - this.partialSince > this.o.frameDeadlineMs;
    return false;
  }

  /** A frame's JSON, checked against the session when there is a secret. */
  private unwrap(frame: RawFrame): unknown {
    if (!this.handshake) return parseFrameJson(frame.body);
    if (this.opener) {
      const json = this.opener.open(frame);
      if (typeof json === 'string') throw new FrameError(json);
      return parseFrameJson(json);
    }
    const ok = this.handshake.hello(frame);
    if (typeof ok === 'string') throw new FrameError(ok);
    const problem = this.handshake.peer && this.o.claimProblem(this.handshake.peer);
    if (problem) throw new FrameError(problem);
    this.opener = ok.opener;
    this.claimed = this.handshake.peer;
    if (this.claimed !== null && !this.o.speaksFor(this.claimed, this.socket))
      throw new FrameError(`a newer connection speaks for ${this.claimed}`);
    this.socket.write(ok.welcome);
    return HANDSHAKE_DONE;
  }

  /** Hands a frame on; false when it cost the connection. */
  private take(frame: unknown): boolean {
    let whole: unknown = frame;
    if ((frame as { type?: unknown })?.type === FRAGMENT) {
      const fragment = checkEnvelope(frame);
      if (typeof fragment === 'string') return this.reject(fragment);
      if (!this.speaking(fragment)) return false;
      try {
        whole = this.reassembler.push(fragment);
      } catch (err) {
        return this.reject((err as Error).message);
      }
      if (whole === null) return true;
    }
    const envelope = checkEnvelope(whole);
    if (typeof envelope === 'string') return this.reject(envelope);
    if (!this.speaking(envelope)) return false;
    return this.deliver(envelope);
  }

  /** Whether `e`'s sender may speak here; its first frame makes the connection speak for it. */
  private speaking(e: Envelope): boolean {
    const problem = this.senderProblem(e);
    if (problem) return this.reject(problem);
    if (this.claimed !== null) return true;
    this.claimed = e.from;
    if (this.o.speaksFor(e.from, this.socket)) return true;
    return this.reject(`a newer connection speaks for ${e.from}`);
  }

  private senderProblem(e: Envelope): string | null {
    if (e.to !== this.o.self) return `frame addressed to ${e.to}, not to this node`;
    if (!this.o.isPeer(e.from) || e.from === this.o.self) return `sender ${e.from} is not a peer`;
    if (this.claimed !== null && this.claimed !== e.from) return 'sender changed mid-connection';
    // Checked once, on the first frame: the sender cannot change after it.
    if (this.claimed === null) return this.o.claimProblem(e.from);
    return null;
  }

  private deliver(envelope: Envelope): boolean {
    const { stats, handlers } = this.o;
    stats.framesIn++;
    if (envelope.type === PING) {
      stats.pingsIn++;
      handlers.ping?.(envelope);
      return true;
    }
    try {
      handlers.message(envelope);
    } catch (err) {
      return this.reject(`message refused: ${(err as Error).message}`);
    }
    return true;
  }

  private reject(why: string): false {
    this.o.stats.rejected++;
    this.o.logger.warn(`${this.closing()}: ${why}`);
    this.socket.destroy();
    return false;
  }

  private closing(): string {
    const claimed = this.claimed ? ` (${this.claimed})` : '';
    return `closing election connection from ${this.remote}${claimed}`;
  }
}
