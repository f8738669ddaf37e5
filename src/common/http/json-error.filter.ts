import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type ErrorResponse, toErrorResponse } from './error-response';

const logger = new Logger('Http');

/** The answer for anything thrown while serving a request; the server's own faults are logged. */
export function answerError(exception: unknown): ErrorResponse {
  const out = toErrorResponse(exception);
  if (out.internal) {
    logger.error(
      `unhandled error: ${(exception as Error)?.message ?? String(exception)}`,
      (exception as Error)?.stack,
    );
  }
  return out;
}

/** Every error leaves the node as JSON `{success:false, message}` with the right status. */
@Catch()
export class JsonErrorFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const res: unknown = host.switchToHttp().getResponse();
    const out = answerError(exception);
    for (const [name, value] of Object.entries(out.headers ?? {}))
      httpAdapter.setHeader(res, name, value);
    httpAdapter.reply(res, out.body, out.status);
  }
}
