import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits, URL-safe: what a client proves itself with on later heartbeats. */
export function newClientToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only this is stored and replicated: a leaked log or snapshot does not leak tokens. */
export function hashClientToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function clientTokenMatches(token: string, hash: string): boolean {
  const a = Buffer.from(hashClientToken(token), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token from `Authorization: Bearer <token>`; undefined when absent, null when malformed. */
export function bearerToken(header: string | undefined): string | undefined | null {
  if (header === undefined) return undefined;
  const m = /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(header.trim());
  return m ? m[1] : null;
}
