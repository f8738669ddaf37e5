import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { LeadershipState } from '../election/leadership-state';

/** Names the term on every answer a leader serves. */
export const TERM_HEADER = 'Rollcall-Term';

/**
 * Stamps the answer with the term it is served in: a client (or the chaos checker) that sees a
 * lower term after a higher one knows a deposed leader answered. Used with LeaderGuard (see
 * LeaderOnly), so it runs only once the guard let the request in, with nothing but Nest's own
 * steps in between. The header is set before the pipes and the handler run, so an error they
 * throw (400, 404, 409, 503) names the term too, and so does the SSE stream's head.
 */
@Injectable()
export class TermHeaderInterceptor implements NestInterceptor {
  constructor(
    private readonly leadership: LeadershipState,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res: unknown = context.switchToHttp().getResponse();
    this.adapterHost.httpAdapter.setHeader(res, TERM_HEADER, String(this.leadership.current.term));
    return next.handle();
  }
}
