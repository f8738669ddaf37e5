import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { ConnectionsPerAddress } from '../common/connections-per-address';

export interface ConnectionLimits {
  /** Open connections one client address may hold; more are closed at once. */
  maxPerAddress: number;
  /** A connection with no bytes either way for this long is closed (idle or stalled). */
  idleTimeoutMs: number;
  /** Headers must be whole within this (default 10 s); shorter only in tests. */
  headersTimeoutMs?: number;
  /** The whole request must be in within this (default 30 s); shorter only in tests. */
  requestTimeoutMs?: number;
}

/** Headers must be whole within this, the whole request within the next (slowloris). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Limits every HTTP connection alike on either platform: a per-address cap, so one client
 * cannot take every socket the process has; an idle timeout, so stalled and abandoned
 * connections go; and Node's own header and request deadlines against senders that trickle.
 * (Node enforces the last two on a periodic sweep, so a trickler is cut within about 30 s of
 * its deadline.)
 */
export function limitConnections(server: Server, limits: ConnectionLimits): void {
  server.headersTimeout = limits.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  server.requestTimeout = limits.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = limits.idleTimeoutMs;
  // Node re-arms a kept-alive connection's timeout with this one at each new request; left at
  // 0 (both platforms' default), a sender stalled in its second request is never idle-cut.
  server.timeout = limits.idleTimeoutMs;
  const perAddress = new ConnectionsPerAddress(limits.maxPerAddress);
  server.on('connection', (socket: Socket) => {
    if (!perAddress.admit(socket)) {
      socket.destroy();
      return;
    }
    // Closed outright, whatever the platform does with a request's 'timeout' event.
    socket.setTimeout(limits.idleTimeoutMs, () => socket.destroy());
  });
}
