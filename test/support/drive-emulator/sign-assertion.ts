import { sign } from 'node:crypto';
import type { ServiceAccount } from './service-account';
import { DRIVE_SCOPE } from './token-endpoint';

export interface AssertionOverrides {
  aud?: string;
  scope?: string;
  iat?: number;
  exp?: number;
  alg?: string;
  /** Signs with this key instead of the account's own, to forge a bad signature. */
  privateKeyPem?: string;
}

/**
 * A test-only RS256 JWT-bearer assertion (RFC 7523) as a service account would sign it.
 * The production token source is separate; this exists so emulator tests need no production code.
 */
export function signAssertion(
  account: ServiceAccount,
  tokenUrl: string,
  overrides: AssertionOverrides = {},
): string {
  const iat = overrides.iat ?? Math.floor(Date.now() / 1000);
  const header = { alg: overrides.alg ?? 'RS256', typ: 'JWT', kid: account.privateKeyId };
  const claims = {
    iss: account.clientEmail,
    scope: overrides.scope ?? DRIVE_SCOPE,
    aud: overrides.aud ?? tokenUrl,
    iat,
    exp: overrides.exp ?? iat + 3600,
  };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode(header)}.${encode(claims)}`;
  const signature = sign('RSA-SHA256', Buffer.from(signingInput), {
    key: overrides.privateKeyPem ?? account.privateKeyPem,
  });
  return `${signingInput}.${signature.toString('base64url')}`;
}

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs the grant exactly as Google's token endpoint expects it. */
export async function requestToken(tokenUrl: string, assertion: string): Promise<TokenAnswer> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
    }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A fresh access token for the account, failing loudly if the emulator refuses. */
export async function accessTokenFor(account: ServiceAccount, tokenUrl: string): Promise<string> {
  const answer = await requestToken(tokenUrl, signAssertion(account, tokenUrl));
  if (answer.status !== 200 || typeof answer.body.access_token !== 'string') {
    throw new Error(`token request failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body.access_token;
}
