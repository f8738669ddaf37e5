import { HttpException } from '@nestjs/common';
import {
  DiskUnavailableError,
  ClientTokenError,
  DriveImportPendingError,
  TooManyRegistrationsError,
  UnknownUserError,
  UsernameTakenError,
} from '../../clients/client-errors';
import { LeaseNotHeldError, NoLeaderError, NotLeaderError } from './leadership-errors';

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

/** Maps anything thrown while serving a request to its status code and `{success:false, message}`. */
export function toErrorResponse(err: unknown): ErrorResponse {
  const fail = (status: number, message: string, extra: Record<string, unknown> = {}) => ({
    status,
    body: { success: false as const, message, ...extra },
  });
  if (err instanceof NotLeaderError) {
    return fail(403, err.message, { current_leader: err.leader, leader_api: err.leaderApi });
  }
  if (err instanceof LeaseNotHeldError) {
    return {
      ...fail(503, err.message, { current_leader: null, leader_api: null }),
      headers: { 'Retry-After': String(err.retryAfterSeconds) },
    };
  }
  if (err instanceof NoLeaderError) {
    return {
      ...fail(503, err.message, { current_leader: null, leader_api: null }),
      headers: { 'Retry-After': String(err.retryAfterSeconds) },
    };
  }
  if (err instanceof DriveImportPendingError || err instanceof DiskUnavailableError) {
    return {
      ...fail(503, err.message),
      headers: { 'Retry-After': String(err.retryAfterSeconds) },
    };
  }
  if (err instanceof ClientTokenError) {
    return { ...fail(401, err.message), headers: { 'WWW-Authenticate': 'Bearer' } };
  }
  if (err instanceof TooManyRegistrationsError) {
    return {
      ...fail(429, err.message),
      headers: { 'Retry-After': String(err.retryAfterSeconds) },
    };
  }
  if (err instanceof UsernameTakenError) return fail(409, err.message);
  if (err instanceof UnknownUserError) return fail(404, err.message);
  // Platforms wrap body-parser failures in an HttpException; the original says what went wrong.
  const parser = (err instanceof HttpException ? err.cause : err) as ParserError | undefined;
  if (parser?.type === 'entity.parse.failed') {
    return fail(400, `Malformed JSON in request body: ${parser.message}`);
  }
  if (parser?.type === 'entity.too.large' || parser?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return fail(413, `Request body is larger than the ${MAX_BODY_BYTES / 1024} KiB limit`);
  }
  if (err instanceof HttpException) {
    const res = err.getResponse();
    if (
      typeof res === 'object' &&
      res !== null &&
      (res as { success?: unknown }).success === false
    ) {
      return { status: err.getStatus(), body: res as ErrorResponse['body'] };
    }
    const message = typeof res === 'string' ? res : (res as { message?: unknown }).message;
    return fail(
      err.getStatus(),
      Array.isArray(message)
        ? message.join('; ')
        : typeof message === 'string'
          ? message
          : err.message,
    );
  }
  const status = parser?.status ?? parser?.statusCode;
  if (parser?.expose && typeof status === 'number' && status >= 400 && status < 500) {
    return fail(status, parser.message);
  }
  return { ...fail(500, 'Internal server error'), internal: true };
}
