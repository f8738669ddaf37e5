import type { ExecutionContext } from '@nestjs/common';
import { AdminDisabledError, AdminUnauthorizedError } from '../../../src/admin/admin-errors';
import { AdminGuard, adminBearer } from '../../../src/admin/admin.guard';
import { AdminToken, newAdminToken } from '../../../src/common/admin-token';
import type { ClusterConfig } from '../../../src/config/cluster-config';

const TOKEN = 'sixteen-characters-or-more';

function guardWith(token: string | null): AdminGuard {
  const config = { adminToken: token === null ? null : new AdminToken(token) };
  return new AdminGuard(config as ClusterConfig);
}

function requestWith(authorization?: string): ExecutionContext {
  const req = { headers: authorization === undefined ? {} : { authorization } };
  return { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}

describe('AdminToken', () => {
  it('matches only the exact token', () => {
    const token = new AdminToken(TOKEN);
    expect(token.matches(TOKEN)).toBe(true);
    expect(token.matches(`${TOKEN} `)).toBe(false);
    expect(token.matches(TOKEN.slice(1))).toBe(false);
    expect(token.matches('')).toBe(false);
  });

  it('refuses tokens under 16 characters', () => {
    expect(() => new AdminToken('x'.repeat(15))).toThrow('must be at least 16 characters');
    expect(new AdminToken('x'.repeat(16)).matches('x'.repeat(16))).toBe(true);
  });

  it('prints and serializes as a placeholder', () => {
    const token = new AdminToken(TOKEN);
    expect(String(token)).toBe('[admin token]');
    expect(JSON.stringify({ token })).toBe('{"token":"[admin token]"}');
  });

  it('generates distinct tokens long enough to be accepted', () => {
    const a = newAdminToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newAdminToken()).not.toBe(a);
    expect(new AdminToken(a).matches(a)).toBe(true);
  });
});

describe('adminBearer', () => {
  it.each([
    [`Bearer ${TOKEN}`, TOKEN],
    [`bearer ${TOKEN}`, TOKEN],
    ['Bearer a+b/c=', 'a+b/c='],
    [undefined, undefined],
    ['Bearer', undefined],
    [`Basic ${TOKEN}`, undefined],
    [`Bearer two words`, undefined],
  ])('reads %p as %p', (header, token) => {
    expect(adminBearer(header)).toBe(token);
  });
});

describe('AdminGuard', () => {
  it('lets the right token through', () => {
    expect(guardWith(TOKEN).canActivate(requestWith(`Bearer ${TOKEN}`))).toBe(true);
  });

  it('answers 401 for a missing or wrong token', () => {
    const guard = guardWith(TOKEN);
    expect(() => guard.canActivate(requestWith())).toThrow(AdminUnauthorizedError);
    expect(() => guard.canActivate(requestWith(`Bearer ${TOKEN}x`))).toThrow(
      'The admin token is wrong',
    );
  });

  it('answers 403 when the node has no token, whatever the request carries', () => {
    expect(() => guardWith(null).canActivate(requestWith(`Bearer ${TOKEN}`))).toThrow(
      AdminDisabledError,
    );
  });
});
