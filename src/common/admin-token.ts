import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { MIN_SECRET_LENGTH } from './cluster-secret';

/**
 * ADMIN_TOKEN: what an operator presents (`Authorization: Bearer`) to the admin routes. The token
 * never leaves this object: it prints and serializes as a placeholder, so a config dumped into a
 * log line cannot leak it.
 */
export class AdminToken {
  /** Its SHA-256: comparing digests of equal length keeps the comparison constant-time. */
  readonly #digest: Buffer;
  /** Kept only for authorization(): a node joining with --join shows it to a member. */
  readonly #token: string;

  constructor(token: string) {
    if (token.length < MIN_SECRET_LENGTH) {
      throw new Error(`must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    this.#digest = digestOf(token);
    this.#token = token;
  }

  /** The header a call to another node's admin routes carries. */
  authorization(): string {
    return `Bearer ${this.#token}`;
  }

  /** Whether `given` is the token, in time that does not depend on where the two differ. */
  matches(given: string): boolean {
    return timingSafeEqual(digestOf(given), this.#digest);
  }

  toString(): string {
    return '[admin token]';
  }

  toJSON(): string {
    return '[admin token]';
  }
}

function digestOf(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** 256 random bits, URL-safe: what `npm run cluster` makes when no ADMIN_TOKEN is set. */
export function newAdminToken(): string {
  return randomBytes(32).toString('base64url');
}
