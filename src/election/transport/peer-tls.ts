import type { PeerCertificate, SecureContext, SecureContextOptions, TLSSocket } from 'node:tls';
import { certificateNameProblem } from '../../common/tls-material';
import { encodeFrame } from './frame-codec';

/**
 * With TLS and no CLUSTER_SECRET, the acceptor's first frame: it checked the dialer's
 * certificate and keeps the connection. In TLS 1.3 the dialer's handshake is over before the
 * acceptor has looked at the dialer's certificate, so without this word a refused dialer would
 * count itself connected until the close arrived, and lose what it sent meanwhile. (With a
 * secret, the secret's challenge comes after the same check and says as much.)
 */
export const TLS_ACCEPTED = 'TlsAccepted';

export const tlsAcceptedFrame = (): Buffer => encodeFrame({ type: TLS_ACCEPTED });

/**
 * Mutual TLS on the election port (PEER_TLS_*), as the transport sees it: the context new
 * connections use both ways, which a reload may replace (ReloadableTls is one).
 */
export interface PeerTls {
  readonly context: SecureContext;
  readonly options: SecureContextOptions;
  onChange(listener: () => void): void;
}

/** Why a TLS connection that completed its handshake is no peer's, or null when it may be. */
export function untrustedClientProblem(socket: TLSSocket): string | null {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return 'it presented no client certificate';
  if (!socket.authorized) {
    return `its certificate is not trusted (${String(socket.authorizationError)}): not signed by PEER_TLS_CA_FILE's CA`;
  }
  return null;
}

/**
 * Why the peer claiming to be `claimed` (`host:port`) may not: its certificate must name the
 * host, as an IP address or DNS name in subjectAltName (a certificate names no port).
 */
export function claimProblem(claimed: string, cert: PeerCertificate): string | null {
  const host = claimed.slice(0, claimed.lastIndexOf(':'));
  const problem = certificateNameProblem(host, cert);
  return problem ? `claims to be ${claimed}, but ${problem}` : null;
}
