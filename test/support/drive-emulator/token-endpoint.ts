import { randomBytes, verify } from 'node:crypto';
import { jsonReply, type Reply } from './http-reply';
import type { RegisteredAccount } from './service-account';

export const DRIVE_SCOPE = 'https://www.googleapis.com/auth/drive';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_LIFETIME_SECONDS = 3600;
// Google tolerates a little clock skew on iat; without it a client whose clock runs ahead fails.
const IAT_SKEW_SECONDS = 300;

function oauthError(error: string, description: string): Reply {
  return jsonReply(400, { error, error_description: description });
}

/** Issues and checks access tokens for the JWT-bearer grant (RFC 7523) the way Google's does. */
export class TokenAuthority {
  private readonly tokens = new Map<string, number>();

  constructor(
    private readonly tokenUrl: string,
    private readonly accountByEmail: (email: string) => RegisteredAccount | undefined,
  ) {}

  isValid(token: string): boolean {
    const expiry = this.tokens.get(token);
    return expiry !== undefined && expiry > Date.now();
  }

  expireAll(): void {
    for (const token of this.tokens.keys()) this.tokens.set(token, 0);
  }

  grant(body: Buffer, contentType: string | undefined): Reply {
    if (!contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      return oauthError(
        'invalid_request',
        'Content-Type must be application/x-www-form-urlencoded',
      );
    }
    const form = new URLSearchParams(body.toString('utf8'));
    if (form.get('grant_type') !== JWT_BEARER) {
      return oauthError('unsupported_grant_type', 'Invalid grant_type: ' + form.get('grant_type'));
    }
    const assertion = form.get('assertion');
    if (!assertion) return oauthError('invalid_request', 'Missing required parameter: assertion');
    const problem = this.checkAssertion(assertion);
    if (problem) return problem;
    const token = 'ya29.emu-' + randomBytes(24).toString('base64url');
    this.tokens.set(token, Date.now() + TOKEN_LIFETIME_SECONDS * 1000);
    return jsonReply(200, {
      access_token: token,
      expires_in: TOKEN_LIFETIME_SECONDS,
      token_type: 'Bearer',
    });
  }

  private checkAssertion(assertion: string): Reply | undefined {
    const segments = assertion.split('.');
    if (segments.length !== 3)
      return oauthError('invalid_grant', 'Invalid JWT: not three segments');
    const header = decodeSegment(segments[0]);
    const claims = decodeSegment(segments[1]);
    if (!header || !claims) return oauthError('invalid_grant', 'Invalid JWT: undecodable segment');
    if (header.alg !== 'RS256') return oauthError('invalid_grant', 'Invalid JWT Signature.');
    const account = typeof claims.iss === 'string' ? this.accountByEmail(claims.iss) : undefined;
    if (!account) return oauthError('invalid_grant', 'Invalid grant: account not found');
    if (header.kid !== undefined && header.kid !== account.privateKeyId) {
      return oauthError('invalid_grant', 'Invalid JWT Signature.');
    }
    const signed = Buffer.from(`${segments[0]}.${segments[1]}`);
    const signature = Buffer.from(segments[2], 'base64url');
    if (!verify('RSA-SHA256', signed, account.publicKey, signature)) {
      return oauthError('invalid_grant', 'Invalid JWT Signature.');
    }
    if (claims.aud !== this.tokenUrl) {
      return oauthError('invalid_grant', 'Invalid JWT: Failed audience check.');
    }
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp } = claims;
    if (
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      exp <= now ||
      exp > iat + TOKEN_LIFETIME_SECONDS ||
      iat > now + IAT_SKEW_SECONDS
    ) {
      return oauthError(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    if (claims.sub !== undefined && claims.sub !== account.clientEmail) {
      // Impersonating a user needs domain-wide delegation, which no emulated account has.
      return oauthError(
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      );
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(/\s+/) : [];
    if (!scopes.includes(DRIVE_SCOPE)) {
      return oauthError('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    }
    return undefined;
  }
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
