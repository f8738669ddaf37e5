import { TokenRequestError } from './access-token-source';

/** What went wrong with one Drive call, as much as the retry policy needs to know. */
export interface DriveFailure {
  /** HTTP status, or null when no answer came (refused, reset, timed out). */
  status: number | null;
  /** The Retry-After header as sent, if any. */
  retryAfter: string | null;
  /** Worth retrying soon: rate limits, server errors, network trouble. */
  transient: boolean;
  message: string;
}

/** Drive answers some rate limits with 403 and one of these reasons rather than 429. */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

interface HttpishError {
  status?: number;
  code?: string | number;
  message?: string;
  response?: { status?: number; headers?: unknown; data?: unknown };
  cause?: { code?: string };
}

function header(headers: unknown, name: string): string | null {
  if (!headers) return null;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : null;
}

function googleReason(data: unknown): string | null {
  const errors = (data as { error?: { errors?: { reason?: unknown }[] } } | null)?.error?.errors;
  const reason = Array.isArray(errors) ? errors[0]?.reason : undefined;
  return typeof reason === 'string' ? reason : null;
}

function googleMessage(data: unknown): string | null {
  const message = (data as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' ? message : null;
}

/** Reads a googleapis (gaxios) error, a token error or a network error into a DriveFailure. */
export function describeDriveFailure(err: unknown): DriveFailure {
  if (err instanceof TokenRequestError) {
    const s = err.status;
    return {
      status: s,
      retryAfter: err.retryAfter,
      transient: s === null || s === 429 || s >= 500,
      message: err.message,
    };
  }
  const e = (err ?? {}) as HttpishError;
  const status = e.response?.status ?? (typeof e.status === 'number' ? e.status : undefined);
  if (status === undefined) {
    const code = typeof e.code === 'string' ? e.code : e.cause?.code;
    return {
      status: null,
      retryAfter: null,
      transient: true,
      message: `no answer from Drive: ${code ?? e.message ?? String(err)}`,
    };
  }
  const reason = googleReason(e.response?.data);
  const transient =
    status === 429 || status >= 500 || (status === 403 && RATE_LIMIT_REASONS.has(reason ?? ''));
  const detail = googleMessage(e.response?.data) ?? e.message ?? '';
  return {
    status,
    retryAfter: header(e.response?.headers, 'retry-after'),
    transient,
    message: `Drive answered ${status}${reason ? ` (${reason})` : ''}: ${detail}`,
  };
}
