import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { AdminDisabledError, AdminUnauthorizedError } from './admin-errors';

/** The token of `Authorization: Bearer <token>`, or undefined when there is none. */
export function adminBearer(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m ? m[1] : undefined;
}

/**
 * Lets a request through only with this node's ADMIN_TOKEN. It runs before the route's handler
 * (and body validation), so a refused request changes nothing; the token given is compared in
 * constant time and never logged or echoed.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.adminToken;
    if (!expected) throw new AdminDisabledError();
    const req = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    const given = adminBearer(req.headers.authorization);
    if (given === undefined) throw new AdminUnauthorizedError('missing');
    if (!expected.matches(given)) throw new AdminUnauthorizedError('wrong');
    return true;
  }
}
