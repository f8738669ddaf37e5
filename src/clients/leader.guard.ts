import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
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
 * Lets a request through only on a leader that holds its lease; otherwise a 403 naming the
 * leader, or a 503 while there is none (or the lease is not held).
 *
 * A request it lets in is stamped with the term it was let in under (`Rollcall-Term`), read in
 * the same synchronous step as the decision: a client (or the chaos checker) that sees a lower
 * term after a higher one knows a deposed leader answered. Stamped here, before the pipes and
 * the handler, an error they throw (400, 404, 409, 503) names the term too, and so does the SSE
 * stream's head. An interceptor would read the same value a moment later, but it puts an RxJS
 * pipeline on every request: measured at about a tenth of the leader's CPU per heartbeat
 * (docs/BENCHMARKS.md, "the heartbeat regression of issue 14").
 */
@Injectable()
export class LeaderGuard implements CanActivate {
  constructor(
    private readonly leadership: LeadershipState,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const term = this.admit();
    const res: unknown = context.switchToHttp().getResponse();
    this.adapterHost.httpAdapter.setHeader(res, TERM_HEADER, String(term));
    return true;
  }

  /**
   * The decision alone: the term a request is let in under, or the error that refuses it. Also
   * used by the heartbeat's direct route on Fastify (HeartbeatEndpoint), which has no
   * ExecutionContext.
   */
  admit(): number {
    const { role, term, leader, leaderApi } = this.leadership.current;
    if (this.leadership.canServeAsLeader()) return term;
    if (role === 'leader') throw new LeaseNotHeldError();
    if (leader) throw new LeaderElsewhereError(leader, leaderApi);
    throw new NoLeaderError();
  }
}
