import { type CanActivate, type ExecutionContext, Injectable, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { LeadershipState } from '../election/leadership-state';
import {
  LeaseNotHeldError,
  NoLeaderError,
  LeaderElsewhereError,
} from '../common/http/leadership-errors';

/** Names the term on every answer a leader serves. */
export const TERM_HEADER = 'Rollcall-Term';

/**
 * Lets a request through only on a leader that holds its lease, and stamps the answer with the
 * term it is served in: a client (or the chaos checker) that sees a lower term after a higher
 * one knows a deposed leader answered.
 */
@Injectable()
export class LeaderGuard implements CanActivate {
  constructor(
    private readonly leadership: LeadershipState,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  canActivate(context?: ExecutionContext): boolean {
    if (this.leadership.canServeAsLeader()) {
      const adapter = this.adapterHost?.httpAdapter;
      if (adapter && context) {
        const res: unknown = context.switchToHttp().getResponse();
        adapter.setHeader(res, TERM_HEADER, String(this.leadership.current.term));
      }
      return true;
    }
    const { role, leader, leaderApi } = this.leadership.current;
    if (role === 'leader') throw new LeaseNotHeldError();
    if (leader) throw new LeaderElsewhereError(leader, leaderApi);
    throw new NoLeaderError();
  }
}
