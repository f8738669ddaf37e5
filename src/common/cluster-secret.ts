import { createHmac } from 'node:crypto';

/** Shorter secrets are refused at start: a guessable secret is no authentication. */
export const MIN_SECRET_LENGTH = 16;

export type ProofLabel = 'hello' | 'welcome' | 'session';

/**
 * CLUSTER_SECRET, and the proofs and keys the election port makes from it. The secret itself
 * never leaves this object: it prints and serializes as a placeholder.
 */
export class ClusterSecret {
  readonly #key: Buffer;

  constructor(secret: string) {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    this.#key = Buffer.from(secret, 'utf8');
  }

  /** Binds a proof to its purpose, both nonces and both ends, so none can stand for another. */
  derive(label: ProofLabel, na: Buffer, nd: Buffer, from: string, to: string): Buffer {
    return createHmac('sha256', this.#key)
      .update(`rollcall-peer-auth/1 ${label}\0`)
      .update(na)
      .update(nd)
      .update(`${from}\0${to}`)
      .digest();
  }

  toString(): string {
    return '[cluster secret]';
  }

  toJSON(): string {
    return '[cluster secret]';
  }
}
