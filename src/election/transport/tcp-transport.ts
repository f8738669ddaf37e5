import { Logger } from '@nestjs/common';
import { createServer, type Server, type Socket } from 'node:net';
import {
  createServer as createTlsServer,
  type PeerCertificate,
  type Server as TlsServer,
  type TLSSocket,
} from 'node:tls';
import { type HostPort, isHostPortError, parseHostPort } from '../../common/address';
import { ConnectionsPerAddress } from '../../common/connections-per-address';
import { type Clock, SystemClock } from '../../common/clock';
import type { ClusterSecret } from '../../common/cluster-secret';
import type { TransportHandlers } from '../election-io';
import { InboundConnection } from './inbound-connection';
import { PeerLink } from './peer-link';
import { claimProblem, type PeerTls, tlsAcceptedFrame, untrustedClientProblem } from './peer-tls';

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
  /** PEER_TLS_*: every connection is mutual TLS 1.3, each end's certificate verified. */
  tls?: PeerTls | null;
  /** Times links and frames; the node's CLOCK (a SystemClock unless given). */
  clock?: Clock;
}

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
  /** The newest inbound connection that speaks for each peer (see supersede). */
  private readonly newestFrom = new Map<string, Socket>();
  /** The order inbound connections were taken in: the later of two is the newer. */
  private readonly takenAs = new WeakMap<Socket, number>();
  private taken = 0;
  private readonly peers: Set<string>;
  private server: Server | null = null;
  /** Never listens: accepted connections are handed to it for their TLS handshake. */
  private tlsServer: TlsServer | null = null;
  private handlers: TransportHandlers | null = null;
  private stopping = false;
  /** One timer pings every silent link: a wake-up of the process per interval, not per peer. */
  private keepaliveTimer: NodeJS.Timeout | null = null;
  /** Peers may share an address (several nodes on one host), hence a multiple of their count. */
  private readonly perAddress: ConnectionsPerAddress;
  private readonly frameDeadlineMs: number;
  private readonly clock: Clock;
  /** Counters for health views and tests. */
  readonly stats = { framesIn: 0, pingsIn: 0, rejected: 0 };

  constructor(private readonly o: TransportOptions) {
    this.peers = new Set(o.peers);
    this.perAddress = new ConnectionsPerAddress(Math.max(4, 2 * o.peers.length));
    this.frameDeadlineMs = Math.max(2000, 4 * o.netTimeoutMs);
    this.clock = o.clock ?? new SystemClock();
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
    if (this.o.tls) this.tlsServer = this.startTls(this.o.tls);
    for (const peer of this.o.peers) this.dial(peer);
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = setInterval(() => this.keepLinksAlive(), this.o.keepaliveMs);
    this.keepaliveTimer.unref();
  }

  private keepLinksAlive(): void {
    const now = this.clock.monotonicMs();
    for (const link of this.links.values()) link.keepAlive(now);
  }

  /**
   * The membership changed: dials members not dialled yet and hangs up on those gone. A member
   * once known is still let in when it dials us: a node behind on the log may learn of its
   * removal (or we of an addition) only over that connection.
   */
  setPeers(peers: readonly string[]): void {
    const wanted = new Set(peers.filter((p) => p !== this.o.self));
    for (const [peer, link] of this.links) {
      if (wanted.has(peer)) continue;
      link.stop();
      this.links.delete(peer);
    }
    for (const peer of wanted) {
      this.peers.add(peer);
      if (this.server !== null && !this.links.has(peer)) this.dial(peer);
    }
    this.perAddress.raiseTo(2 * this.peers.size);
  }

  private dial(peer: string): void {
    if (peer === this.o.self) return;
    const address = parseHostPort(peer);
    if (isHostPortError(address)) throw new Error(`bad peer address ${peer}`);
    const link = new PeerLink({
      peer,
      api: this.o.api,
      address,
      netTimeoutMs: this.o.netTimeoutMs,
      retryMs: this.o.retryMs,
      keepaliveMs: this.o.keepaliveMs,
      random: this.o.random,
      onUnreachable: (p, refused) => this.handlers?.unreachable(p, refused),
      self: this.o.self,
      secret: this.o.secret ?? null,
      tls: this.o.tls ?? null,
      handshakeTimeoutMs: this.frameDeadlineMs,
      clock: this.clock,
    });
    this.links.set(peer, link);
    link.start();
  }

  /** Inbound connections open now (for health views and tests). */
  get inboundCount(): number {
    return this.inbound.size;
  }

  send(message: { to: string }): boolean {
    // A message for a peer that is down is lost anyway: not worth serializing (a snapshot is
    // megabytes, and the core sends it again at every retry).
    const link = this.links.get(message.to);
    return link?.isConnected === true && link.send(JSON.stringify(message));
  }

  sendJson(to: string, json: string): boolean {
    return this.links.get(to)?.send(json) ?? false;
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
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
    for (const link of this.links.values()) link.stop();
    const server = this.server;
    this.server = null;
    // Stop listening before dropping connections, so a peer's redial is refused, not accepted.
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : null;
    for (const socket of this.inbound) socket.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    if (this.stopping || !this.handlers) {
      socket.destroy();
      return;
    }
    // A peer keeps one connection, a few while it redials; more from one address is a flood,
    // and must not crowd the real peers out of the 64 the port takes.
    if (!this.perAddress.admit(socket)) {
      const remote = `${socket.remoteAddress}:${socket.remotePort}`;
      const host = socket.remoteAddress ?? '?';
      this.stats.rejected++;
      this.logger.warn(
        `refusing election connection from ${remote}: ${this.perAddress.from(host)} already open from ${host} (limit ${this.perAddress.max})`,
      );
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.once('close', () => this.inbound.delete(socket));
    // With TLS, nothing is read until the handshake is done and the certificate checked.
    if (this.tlsServer) this.tlsServer.emit('connection', socket);
    else this.serve(socket, this.handlers, null);
  }

  /**
   * The TLS half of the election port. Certificates are checked here rather than by OpenSSL
   * (rejectUnauthorized off), so that a refusal is logged with the address and the reason;
   * an untrusted connection is closed before a byte of it is read.
   */
  private startTls(tls: PeerTls): TlsServer {
    const server = createTlsServer({
      ...tls.options,
      requestCert: true,
      rejectUnauthorized: false,
      handshakeTimeout: this.frameDeadlineMs,
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      const handlers = this.stopping ? null : this.handlers;
      if (!handlers) return socket.destroy();
      const problem = untrustedClientProblem(socket);
      if (problem) return this.refuse(socket, problem);
      if (!this.o.secret) socket.write(tlsAcceptedFrame());
      this.serve(socket, handlers, socket.getPeerCertificate());
    });
    server.on('tlsClientError', (err: Error, socket: TLSSocket) =>
      this.refuse(socket, `TLS handshake failed: ${err.message.split('\n')[0]}`),
    );
    tls.onChange(() => server.setSecureContext(tls.options));
    return server;
  }

  private refuse(socket: Socket, why: string): void {
    const remote = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'a peer';
    this.stats.rejected++;
    this.logger.warn(`closing election connection from ${remote}: ${why}`);
    socket.destroy();
  }

  /** Reads frames from an accepted connection (TLS-verified when `cert` is given). */
  private serve(socket: Socket, handlers: TransportHandlers, cert: PeerCertificate | null): void {
    this.takenAs.set(socket, ++this.taken);
    new InboundConnection(socket, {
      self: this.o.self,
      isPeer: (id) => this.peers.has(id),
      secret: this.o.secret ?? null,
      keepaliveMs: this.o.keepaliveMs,
      netTimeoutMs: this.o.netTimeoutMs,
      frameDeadlineMs: this.frameDeadlineMs,
      clock: this.clock,
      handlers,
      stats: this.stats,
      logger: this.logger,
      claimProblem: cert ? (claimed) => claimProblem(claimed, cert) : () => null,
      speaksFor: (peer, speaking) => this.supersede(peer, speaking),
    }).start();
  }

  /**
   * A peer sends on one connection at a time, and dials a new one only once it gave up the
   * last; but bytes it wrote to that one may still be on their way, and would be read after the
   * new connection's. The consensus core and the presence stream rely on a peer's messages
   * arriving in the order sent, so the older connection is closed as soon as a newer one speaks
   * for the same peer: what it still carried is lost, as on any broken connection, never late.
   * Newer is by when the connection was taken, not by when it first spoke: an older one whose
   * first message was still arriving in fragments speaks last. Returns false for `socket` when
   * a newer connection already speaks for `peer`.
   */
  private supersede(peer: string, socket: Socket): boolean {
    const other = this.newestFrom.get(peer);
    if (other && other !== socket && !other.destroyed) {
      if (this.takenOrder(other) > this.takenOrder(socket)) return false;
      this.closeOlder(peer, other, socket);
    }
    this.newestFrom.set(peer, socket);
    socket.once('close', () => {
      if (this.newestFrom.get(peer) === socket) this.newestFrom.delete(peer);
    });
    return true;
  }

  private takenOrder(socket: Socket): number {
    return this.takenAs.get(socket) ?? 0;
  }

  private closeOlder(peer: string, older: Socket, newer: Socket): void {
    const why = `closing an older election connection from ${peer}: a newer one speaks for it`;
    // A redial comes from the peer's own host; another host means two nodes claim one id.
    if (older.remoteAddress === newer.remoteAddress) this.logger.debug(why);
    else
      this.logger.warn(
        `${why} from ${newer.remoteAddress} (the older from ${older.remoteAddress}): two nodes configured as ${peer}?`,
      );
    older.destroy();
  }
}
