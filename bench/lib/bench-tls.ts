import { mkdirSync, readFileSync } from 'node:fs';
import { makeCa, makeLeaf } from '../../test/support/test-certs';

/**
 * TLS on both ports of a bench cluster: one CA made at run time with the openssl CLI, and one
 * certificate every node shares (its subjectAltName, IP:127.0.0.1, names every loopback node).
 * Nothing secret outlives the bench's temp dir.
 */
export interface BenchTls {
  /** The PEM of the CA that the bench's clients trust. */
  ca: Buffer;
  /** What every node's environment gets: peer mTLS on the election port and HTTPS on the API. */
  env: Record<string, string>;
}

export function makeBenchTls(dir: string): BenchTls {
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, 'bench-ca');
  const leaf = makeLeaf(dir, ca, 'bench-node');
  return {
    ca: readFileSync(ca.certFile),
    env: {
      PEER_TLS_CERT_FILE: leaf.certFile,
      PEER_TLS_KEY_FILE: leaf.keyFile,
      PEER_TLS_CA_FILE: ca.certFile,
      API_TLS_CERT_FILE: leaf.certFile,
      API_TLS_KEY_FILE: leaf.keyFile,
    },
  };
}
