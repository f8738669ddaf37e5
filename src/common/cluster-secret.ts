import { createHmac } from 'node:crypto';

/** Shorter secrets are refused at start: a guessable secret is no authentication. */
export const MIN_SECRET_LENGTH = 16;
/** During a rotation a node holds the new secret and the old one; never more. */
export const MAX_SECRETS = 2;

export type ProofLabel = 'hello' | 'welcome' | 'session';

/**
 * CLUSTER_SECRET, and the proofs and keys the election port makes from it. The secret itself
 * never leaves this object: it prints and serializes as a placeholder.
 *
 * During a rotation it holds two secrets: proofs are made with the first and accepted under
 * either, so nodes that have moved on and nodes that have not yet still connect. `rotate`
 * replaces them in place (CLUSTER_SECRET_FILE re-read on SIGHUP or when it changes); only
 * handshakes after that use the new ones, so connections already open live on.
 */
export class ClusterSecret {
  #keys: Buffer[];

  /** `secrets`: one, or the new one first and the old one second. */
  constructor(
    secrets: string | readonly string[],
    /** CLUSTER_SECRET_FILE when the secret came from one, so that it can be re-read. */
    readonly file: string | null = null,
  ) {
    this.#keys = ClusterSecret.keysOf(secrets);
  }

  /** The secrets in a CLUSTER_SECRET_FILE: one per line, blank lines ignored. */
  static parseFile(text: string): string[] {
    return text
      .split('\n')
      .map((line) => line.replace(/\r$/, ''))
      .filter((line) => line.trim() !== '');
  }

  private static keysOf(secrets: string | readonly string[]): Buffer[] {
    const list = typeof secrets === 'string' ? [secrets] : [...secrets];
    if (list.length === 0) throw new Error('holds no secret');
    if (list.length > MAX_SECRETS) {
      throw new Error(
        `holds ${list.length} secrets; at most ${MAX_SECRETS} (the new one first, the old one second)`,
      );
    }
    for (const s of list) {
      if (s.length < MIN_SECRET_LENGTH) {
        throw new Error(`must be at least ${MIN_SECRET_LENGTH} characters`);
      }
    }
    return list.map((s) => Buffer.from(s, 'utf8'));
  }

  /** How many secrets are in force: 2 during a rotation. */
  get count(): number {
    return this.#keys.length;
  }

  /**
   * Replaces the secrets; throws (keeping the old ones) when the new ones are unfit. True when
   * they differ from those in force, in content or order.
   */
  rotate(secrets: readonly string[]): boolean {
    const next = ClusterSecret.keysOf(secrets);
    const same = next.length === this.#keys.length && next.every((k, i) => k.equals(this.#keys[i]));
    this.#keys = next;
    return !same;
  }

  /** Binds a proof to its purpose, both nonces and both ends, so none can stand for another. */
  derive(label: ProofLabel, na: Buffer, nd: Buffer, from: string, to: string): Buffer {
    return deriveWith(this.#keys[0], label, na, nd, from, to);
  }

  /**
   * The same proof under every secret in force, first one first: what a proof made by a peer
   * is checked against. Each comes with a function deriving the rest of the session's keys
   * from that secret, so a session continues under the secret its handshake proved.
   */
  candidates(label: ProofLabel, na: Buffer, nd: Buffer, from: string, to: string): Candidate[] {
    return this.#keys.map((key) => ({
      proof: deriveWith(key, label, na, nd, from, to),
      derive: (other: ProofLabel) => deriveWith(key, other, na, nd, from, to),
    }));
  }

  toString(): string {
    return '[cluster secret]';
  }

  toJSON(): string {
    return '[cluster secret]';
  }
}

/** A proof under one of the secrets, and the other keys of a session under that secret. */
export interface Candidate {
  proof: Buffer;
  derive: (label: ProofLabel) => Buffer;
}

function deriveWith(
  key: Buffer,
  label: ProofLabel,
  na: Buffer,
  nd: Buffer,
  from: string,
  to: string,
): Buffer {
  return createHmac('sha256', key)
    .update(`rollcall-peer-auth/1 ${label}\0`)
    .update(na)
    .update(nd)
    .update(`${from}\0${to}`)
    .digest();
}
