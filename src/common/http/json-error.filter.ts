import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { toErrorResponse } from './error-response';

/** Every error leaves the node as JSON `{success:false, message}` with the right status. */
@Catch()
export class JsonErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const res: unknown = host.switchToHttp().getResponse();
    const out = toErrorResponse(exception);
    if (out.internal) {
      this.logger.error(
        `unhandled error: ${(exception as Error)?.message ?? String(exception)}`,
        (exception as Error)?.stack,
      );
    }
    for (const [name, value] of Object.entries(out.headers ?? {}))
      httpAdapter.setHeader(res, name, value);
    httpAdapter.reply(res, out.body, out.status);
  }
}
