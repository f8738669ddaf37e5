import { HttpException } from '@nestjs/common';
import { RouteError } from './route-error';

export const MAX_BODY_BYTES = 64 * 1024;

export interface ErrorResponse {
  status: number;
  body: { success: false; message: string } & Record<string, unknown>;
  headers?: Record<string, string>;
  /** Whether this is the server's fault, to be logged as an error. */
  internal?: boolean;
}

/**
 * Body-parser failures carry a `type` and an HTTP status, Fastify's a `code`; duck-typed so that
 * no platform is imported.
 */
interface ParserError {
  type?: string;
  code?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message: string;
}

function fail(status: number, message: string, extra: Record<string, unknown> = {}): ErrorResponse {
  return { status, body: { success: false, message, ...extra } };
}

/** The answer a RouteError declares: its status, its body fields, Retry-After and its headers. */
function routeErrorResponse(err: RouteError): ErrorResponse {
  const response = fail(err.status, err.message, err.bodyFields);
  const headers: Record<string, string> = { ...err.headers };
  if (err.retryAfterSeconds !== undefined) headers['Retry-After'] = String(err.retryAfterSeconds);
  if (Object.keys(headers).length > 0) response.headers = headers;
  return response;
}

/** Nest's own exceptions (the validation pipe's 400 among them) keep their status. */
function httpExceptionResponse(err: HttpException): ErrorResponse {
  const res = err.getResponse();
  if (typeof res === 'object' && res !== null && (res as { success?: unknown }).success === false) {
    return { status: err.getStatus(), body: res as ErrorResponse['body'] };
  }
  const message = typeof res === 'string' ? res : (res as { message?: unknown }).message;
  if (Array.isArray(message)) return fail(err.getStatus(), message.join('; '));
  return fail(err.getStatus(), typeof message === 'string' ? message : err.message);
}

/** Maps anything thrown while serving a request to its status code and `{success:false, message}`. */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (err instanceof RouteError) return routeErrorResponse(err);
  // Platforms wrap body-parser failures in an HttpException; the original says what went wrong.
  const parser = (err instanceof HttpException ? err.cause : err) as ParserError | undefined;
  if (parser?.type === 'entity.parse.failed') {
    return fail(400, `Malformed JSON in request body: ${parser.message}`);
  }
  if (parser?.type === 'entity.too.large' || parser?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return fail(413, `Request body is larger than the ${MAX_BODY_BYTES / 1024} KiB limit`);
  }
  if (err instanceof HttpException) return httpExceptionResponse(err);
  const status = parser?.status ?? parser?.statusCode;
  if (parser?.expose && typeof status === 'number' && status >= 400 && status < 500) {
    return fail(status, parser.message);
  }
  return { ...fail(500, 'Internal server error'), internal: true };
}
