import { TokenRequestError } from '../../../src/drive/access-token-source';
import { describeDriveFailure } from '../../../src/drive/drive-failure';

function gaxiosLike(status: number, reason?: string, headers: Record<string, string> = {}) {
  const data = reason ? { error: { message: `said ${reason}`, errors: [{ reason }] } } : undefined;
  return Object.assign(new Error(`Request failed with status code ${status}`), {
    status,
    response: { status, headers: new Headers(headers), data },
  });
}

describe('describeDriveFailure', () => {
  it('retries soon on rate limits, server errors and network trouble', () => {
    expect(
      describeDriveFailure(gaxiosLike(429, 'rateLimitExceeded', { 'retry-after': '3' })),
    ).toEqual({
      status: 429,
      retryAfter: '3',
      transient: true,
      message: 'Drive answered 429 (rateLimitExceeded): said rateLimitExceeded',
    });
    expect(describeDriveFailure(gaxiosLike(503, 'backendError')).transient).toBe(true);
    expect(describeDriveFailure(gaxiosLike(500)).transient).toBe(true);
    // Drive also answers some rate limits with 403.
    expect(describeDriveFailure(gaxiosLike(403, 'userRateLimitExceeded')).transient).toBe(true);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(describeDriveFailure(reset)).toMatchObject({ status: null, transient: true });
    expect(describeDriveFailure(reset).message).toContain('ECONNRESET');
  });

  it('says when the operator has to fix something', () => {
    const notFound = describeDriveFailure(gaxiosLike(404, 'notFound'));
    expect(notFound).toMatchObject({ status: 404, transient: false });
    expect(notFound.message).toBe('Drive answered 404 (notFound): said notFound');
    expect(describeDriveFailure(gaxiosLike(403, 'insufficientFilePermissions')).transient).toBe(
      false,
    );
  });

  it('reads token endpoint failures the same way', () => {
    expect(describeDriveFailure(new TokenRequestError('refused', 400)).transient).toBe(false);
    expect(describeDriveFailure(new TokenRequestError('down', 503, '2'))).toMatchObject({
      transient: true,
      retryAfter: '2',
    });
    expect(describeDriveFailure(new TokenRequestError('unreachable', null)).transient).toBe(true);
  });
});
