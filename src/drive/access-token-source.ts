import { createSign } from 'node:crypto';
import type { Clock } from '../common/clock';
import type { ServiceAccount } from './service-account';

export const DRIVE_SCOPE = 'https://www.googleapis.com/auth/drive';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ASSERTION_LIFETIME_S = 3600;

export interface AccessToken {
  token: string;
  /** Wall-clock ms at which the token stops being accepted. */
  expiresAt: number;
}

/** The token endpoint refused the grant or could not be reached; carries the HTTP status if any. */
export class TokenRequestError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryAfter: string | null = null,
  ) {
    super(message);
    this.name = 'TokenRequestError';
  }
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * Service-account OAuth (RFC 7523 JWT-bearer grant), done here rather than by
 * google-auth-library because that library fixes the token URL to Google's, and rollcall must be
 * able to point it elsewhere (GOOGLE_TOKEN_URL: a proxy, or the tests' emulator).
 */
export class AccessTokenSource {
  constructor(
    private readonly account: ServiceAccount,
    private readonly tokenUrl: string,
    private readonly clock: Clock,
    private readonly timeoutMs = 30_000,
  ) {}

  assertion(): string {
    const iat = Math.floor(this.clock.wallMs() / 1000);
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
    const claims = base64url(
      JSON.stringify({
        iss: this.account.clientEmail,
        scope: DRIVE_SCOPE,
        aud: this.tokenUrl,
        iat,
        exp: iat + ASSERTION_LIFETIME_S,
      }),
    );
    const signature = createSign('RSA-SHA256')
      .update(`${header}.${claims}`)
      .sign(this.account.privateKey)
      .toString('base64url');
    return `${header}.${claims}.${signature}`;
  }

  async fetch(): Promise<AccessToken> {
    const started = this.clock.wallMs();
    let res: Response;
    try {
      res = await fetch(this.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: this.assertion() }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new TokenRequestError(
        `token request to ${this.tokenUrl} failed: ${cause ?? (err as Error).message}`,
        null,
      );
    }
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Reported below with the status.
    }
    if (!res.ok || typeof body.access_token !== 'string') {
      const why =
        typeof body.error === 'string'
          ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}`
          : text.slice(0, 200);
      throw new TokenRequestError(
        `token request to ${this.tokenUrl} answered ${res.status}: ${why}`,
        res.status,
        res.headers.get('retry-after'),
      );
    }
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    return { token: body.access_token, expiresAt: started + expiresIn * 1000 };
  }
}
