import { Logger } from '@nestjs/common';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { HostPort } from '../../common/address';
import type { Clock } from '../../common/clock';
import { joinJsonObjects, PING } from './envelope';
import { FRAGMENT, splitMessage } from './fragments';
import {
  encodeJsonFrame,
  encodeJsonTextFrame,
  FrameDecoder,
  FrameError,
  MAX_FRAME_BYTES,
  parseFrameJson,
  type RawFrame,
} from './frame-codec';
import type { ClusterSecret } from '../../common/cluster-secret';
import { DialerHandshake, type FrameSealer } from './peer-auth';
import { type PeerTls, TLS_ACCEPTED } from './peer-tls';

export interface PeerLinkOptions {
  /** This node's id, for the handshake. */
  self: string;
  peer: string;
  /** This node's HTTP base URL, stamped on every frame. */
  api: string;
  address: HostPort;
  netTimeoutMs: number;
  retryMs: number;
  keepaliveMs: number;
  random: () => number;
  /** A connection attempt failed; `refused` means nothing listens there: the process is gone. */
  onUnreachable: (peer: string, refused: boolean) => void;
  /** With a secret, a connection carries nothing until the handshake proves both ends. */
  secret: ClusterSecret | null;
  /** How long the acceptor may take to complete the handshake (TLS's, then the secret's). */
  handshakeTimeoutMs: number;
  /** With TLS, every connection is TLS 1.3 with this node's certificate, the peer's verified. */
  tls: PeerTls | null;
  clock: Clock;
}

/** Room a sealed frame needs next to its JSON: the version byte and the MAC. */
const FRAME_OVERHEAD = 1 + 32;

/** Immediate redials after a reset during connect, before counting the attempt as failed. */
const MAX_QUICK_REDIALS = 2;
/** Bytes we let pile up for a peer before dropping messages to it: Raft tolerates loss. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** One connection attempt: how it failed, whether TCP came up, and TLS after it (if used). */
interface DialAttempt {
  failure: NodeJS.ErrnoException | null;
  tcpUp: boolean;
  secured: boolean;
}

function authError(why: string): NodeJS.ErrnoException {
  return Object.assign(new Error(why), { code: 'EAUTH' });
}

/**
 * The outbound half of a peer connection: this node dials each peer and sends on that socket;
 * the peer's replies arrive on the connection it dialled to us. Reconnects on its own.
 */
export class PeerLink {
  private readonly logger = new Logger('Transport');
  private socket: Socket | null = null;
  private connected = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private lastSendAt = 0;
  private failures = 0;
  private lastProblem = '';
  dropped = 0;
  connections = 0;
  private resets = 0;
  private fragmentIds = 0;
  private connectedAt = 0;
  private sealer: FrameSealer | null = null;
  /** Frames held back until the end of this turn of the event loop, and their connection. */
  private held: { socket: Socket; frames: Buffer[]; bytes: number } | null = null;

  /** The `api` field every frame carries, as the JSON of an object. */
  private readonly apiJson: string;
  /** The keepalive a silent link sends, as JSON: the same every time. */
  private readonly pingJson: string;

  constructor(private readonly o: PeerLinkOptions) {
    this.apiJson = JSON.stringify({ api: o.api });
    this.pingJson = JSON.stringify({ type: PING, from: o.self, to: o.peer, term: 0, cpu: 0 });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  start(): void {
    this.dial();
  }

  /**
   * Pings the peer if nothing went to it for a keepalive interval, so that its end of a live
   * link never falls silent. The transport calls it for every link from one timer.
   */
  keepAlive(now: number): void {
    if (this.connected && now - this.lastSendAt >= this.o.keepaliveMs) this.write(this.pingJson);
  }

  stop(): void {
    this.stopped = true;
    for (const t of [this.retryTimer, this.drainTimer]) if (t) clearTimeout(t);
    this.socket?.destroy();
  }

  /**
   * Sends the message whose JSON is `json` (a JSON object), stamped with this node's API, if
   * connected; otherwise the message is lost, as on any lossy network.
   */
  send(json: string): boolean {
    if (!this.connected || !this.socket) return false;
    if (this.socket.writableLength + (this.held?.bytes ?? 0) > MAX_BUFFERED_BYTES) {
      this.dropped++;
      return false;
    }
    this.write(json);
    return true;
  }

  private write(json: string): void {
    const socket = this.socket;
    if (!socket) return;
    this.lastSendAt = this.o.clock.monotonicMs();
    const text = joinJsonObjects(json, this.apiJson);
    const bytes = Buffer.byteLength(text);
    if (bytes < MAX_FRAME_BYTES - FRAME_OVERHEAD) {
      this.holdTillTurnEnds(socket, this.frameText(text, bytes));
      return;
    }
    const whole = Buffer.from(text);
    // Megabytes (a snapshot) go out at once, as they always did, behind what was held.
    this.releaseHeld();
    const { self: from, peer: to, api } = this.o;
    const fragments = splitMessage(whole, ++this.fragmentIds);
    this.logger.debug(
      `sending a ${whole.length}-byte message to ${to} in ${fragments.length} fragments`,
    );
    let flushed = true;
    for (const f of fragments) {
      const frame = { type: FRAGMENT, from, to, term: 0, cpu: 0, api, ...f };
      flushed = socket.write(this.frame(Buffer.from(JSON.stringify(frame)))) && flushed;
    }
    if (!flushed) this.watchDrain(socket);
  }

  /**
   * Frames written in one turn of the event loop leave in one system call: a socket write costs
   * tens of microseconds on a VM, and a leader under load writes several frames to each peer per
   * turn (a presence delta, acknowledgements, AppendEntries). They keep their order, and wait no
   * longer than the rest of the turn: the check phase right after the I/O callbacks.
   */
  private holdTillTurnEnds(socket: Socket, frame: Buffer): void {
    if (this.held?.socket !== socket) {
      this.releaseHeld();
      this.held = { socket, frames: [], bytes: 0 };
      setImmediate(() => this.releaseHeld());
    }
    this.held.frames.push(frame);
    this.held.bytes += frame.length;
  }

  /** Writes the held frames in one go (one writev); dropped if their connection is gone. */
  private releaseHeld(): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    const { socket, frames } = held;
    if (socket !== this.socket || socket.destroyed) return; // lost, as on any broken link
    let flushed = true;
    socket.cork();
    for (const frame of frames) flushed = socket.write(frame) && flushed;
    socket.uncork();
    if (!flushed) this.watchDrain(socket);
  }

  /** A peer that stops reading for net_timeout_ms is treated as gone. */
  private watchDrain(socket: Socket): void {
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      this.logger.warn(
        `peer ${this.o.peer} stopped reading for ${this.o.netTimeoutMs} ms; reconnecting`,
      );
      socket.destroy();
    }, this.o.netTimeoutMs);
    socket.once('drain', () => {
      if (this.drainTimer) clearTimeout(this.drainTimer);
      this.drainTimer = null;
    });
  }

  private frame(json: Buffer): Buffer {
    return this.sealer ? this.sealer.seal(json) : encodeJsonFrame(json);
  }

  /** The same for JSON text of `bytes` bytes: without a secret, encoded straight into the frame. */
  private frameText(text: string, bytes: number): Buffer {
    return this.sealer ? this.sealer.seal(Buffer.from(text)) : encodeJsonTextFrame(text, bytes);
  }

  /** The link is usable: TCP is up and, with TLS or a secret, both ends have proved it. */
  private established(sealer: FrameSealer | null): void {
    this.sealer = sealer;
    this.connected = true;
    this.connectedAt = this.o.clock.monotonicMs();
    this.connections++;
    if (this.failures > 0)
      this.logger.log(`connected to peer ${this.o.peer} after ${this.failures} failed attempts`);
    this.failures = 0;
    this.resets = 0;
  }

  private dial(): void {
    if (this.stopped) return;
    const { host, port } = this.o.address;
    const tls = this.o.tls;
    // A new connection takes the context in force now: a reload reaches the next dial.
    const socket = tls
      ? tlsConnect({ host, port, secureContext: tls.context })
      : connect({ host, port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.sealer = null;
    socket.setTimeout(this.o.netTimeoutMs);
    const attempt: DialAttempt = { failure: null, tcpUp: false, secured: !tls };
    const fail = (why: string) => {
      attempt.failure = authError(why);
      socket.destroy();
    };
    // TLS alone: between our handshake and the acceptor's word, a close is its refusal.
    const awaitingAcceptance = () =>
      tls !== null && !this.o.secret && attempt.secured && !this.connected;
    const usable = () => {
      attempt.secured = true;
      socket.setTimeout(0);
      if (this.o.secret) return this.handshake(socket, this.o.secret, fail);
      if (tls) return this.awaitAccepted(socket, fail);
      this.established(null);
    };
    socket.once('connect', () => {
      attempt.tcpUp = true;
      socket.setKeepAlive(true, this.o.keepaliveMs);
      // TLS gets the handshake's deadline, not the connect's: it costs a few round trips.
      if (tls) socket.setTimeout(this.o.handshakeTimeoutMs);
      else usable();
    });
    if (tls) socket.once('secureConnect', usable);
    socket.on('timeout', () => {
      const why = attempt.tcpUp
        ? `no TLS handshake within ${this.o.handshakeTimeoutMs} ms`
        : `connect timed out after ${this.o.netTimeoutMs} ms`;
      attempt.failure = Object.assign(new Error(why), { code: 'ETIMEDOUT' });
      socket.destroy();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // Failing TLS verification either way (a certificate from another CA, or one that does
      // not name the peer's address) is an authentication failure, not an unreachable peer.
      if (attempt.tcpUp && !attempt.secured) attempt.failure ??= authError(`TLS: ${err.message}`);
      else if (awaitingAcceptance()) attempt.failure ??= this.refusal(err.message);
      else attempt.failure ??= err;
    });
    if (!this.o.secret && !tls) socket.on('data', () => undefined); // nothing comes back here
    socket.once('close', () => this.closed(attempt));
  }

  private closed(attempt: DialAttempt): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    if (attempt.tcpUp && !this.connected && !attempt.failure && (this.o.secret || this.o.tls)) {
      attempt.failure = attempt.secured
        ? this.refusal('it closed the connection')
        : authError(
            'the connection closed during the TLS handshake (a network fault, or that node does not speak TLS)',
          );
    }
    const wasConnected = this.connected;
    this.connected = false;
    this.socket = null;
    if (this.stopped) return;
    if (wasConnected) return this.linkLost(attempt.failure);
    // A reset before the TCP handshake completes comes from a process that is exiting with our
    // connection still in its backlog; ask again at once to get the refusal that proves it.
    if (
      !attempt.tcpUp &&
      attempt.failure?.code === 'ECONNRESET' &&
      this.resets < MAX_QUICK_REDIALS
    ) {
      this.resets++;
      this.dial();
      return;
    }
    this.attemptFailed(attempt.failure);
  }

  /** A link that was up went down. */
  private linkLost(failure: NodeJS.ErrnoException | null): void {
    this.logger.debug(
      `connection to peer ${this.o.peer} closed${failure ? `: ${failure.message}` : ''}`,
    );
    // Redial at once: if the peer's process died, the refusal tells us so right away. But a
    // link that dies as soon as it is made (a proxy in front of a dead peer, a full server)
    // waits like any failed attempt, so it cannot spin.
    const lived = this.o.clock.monotonicMs() - this.connectedAt;
    if (lived >= this.o.retryMs) this.dial();
    else this.retryTimer = setTimeout(() => this.dial(), this.o.retryMs * (1 + this.o.random()));
  }

  /** A dial that never gave a usable link: say why (once), tell the election, try later. */
  private attemptFailed(failure: NodeJS.ErrnoException | null): void {
    this.failures++;
    const refused = failure?.code === 'ECONNREFUSED';
    const problem =
      failure?.code === 'EAUTH'
        ? `failed authentication: ${failure.message}`
        : `unreachable: ${failure?.code ?? failure?.message ?? 'closed'}`;
    // Once per run of failures, and again when the reason changes (a peer that was down comes
    // back with the wrong secret), so the log says what is wrong without repeating it.
    if (this.failures === 1 || problem !== this.lastProblem) {
      this.logger.warn(`peer ${this.o.peer} ${problem}; retrying`);
    }
    this.lastProblem = problem;
    this.resets = 0;
    this.o.onUnreachable(this.o.peer, refused);
    const delay = this.o.retryMs * (1 + this.o.random());
    this.retryTimer = setTimeout(() => this.dial(), delay);
  }

  /** Why a link whose TLS (if any) is up was closed before it was usable. */
  private refusal(how: string): NodeJS.ErrnoException {
    return authError(
      this.o.secret
        ? `the connection closed during the handshake: ${how} (a network fault, or no CLUSTER_SECRET or another one on that node)`
        : `refused by the peer after the TLS handshake: ${how} (it does not trust our certificate; its log says why)`,
    );
  }

  /**
   * TLS without a secret: waits for the acceptor's word that it checked our certificate and
   * keeps the connection (TLS_ACCEPTED); nothing is sent, and the link is not up, before that.
   */
  private awaitAccepted(socket: Socket, fail: (why: string) => void): void {
    const decoder = new FrameDecoder();
    const deadline = setTimeout(
      () => fail(`no acceptance within ${this.o.handshakeTimeoutMs} ms after the TLS handshake`),
      this.o.handshakeTimeoutMs,
    );
    socket.once('close', () => clearTimeout(deadline));
    socket.on('data', (chunk: Buffer) => {
      if (this.connected) return; // nothing else is expected back on this half
      let first: RawFrame | undefined;
      try {
        first = decoder.pushRaw(chunk)[0];
        if (!first) return;
        const said = parseFrameJson(first.body) as { type?: unknown } | null;
        if (said?.type !== TLS_ACCEPTED) return fail('the peer sent something before accepting us');
      } catch (err) {
        return fail(err instanceof FrameError ? err.message : String(err));
      }
      clearTimeout(deadline);
      this.established(null);
    });
  }

  /** Answers the acceptor's challenge and checks its welcome; nothing is sent before that. */
  private handshake(socket: Socket, secret: ClusterSecret, fail: (why: string) => void): void {
    const handshake = new DialerHandshake(secret, this.o.self, this.o.peer);
    const decoder = new FrameDecoder();
    const deadline = setTimeout(
      () =>
        fail(
          `no handshake within ${this.o.handshakeTimeoutMs} ms (a network fault, or no CLUSTER_SECRET on that node)`,
        ),
      this.o.handshakeTimeoutMs,
    );
    socket.once('close', () => clearTimeout(deadline));
    socket.on('data', (chunk: Buffer) => {
      if (this.sealer) return fail('the peer sent data after the handshake');
      let frames: RawFrame[];
      try {
        frames = decoder.pushRaw(chunk);
      } catch (err) {
        return fail(err instanceof FrameError ? err.message : String(err));
      }
      for (const frame of frames) {
        if (this.sealer) return fail('the peer sent data after the handshake');
        const step = handshake.receive(frame);
        if (typeof step === 'string') return fail(step);
        if ('send' in step) {
          socket.write(step.send);
          continue;
        }
        clearTimeout(deadline);
        this.established(step.sealer);
      }
    });
  }
}
