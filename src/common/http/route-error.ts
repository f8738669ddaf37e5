/**
 * A failure that a route answers with a status of its own rather than a 500. Each error says how
 * it is answered, so the one exception filter (toErrorResponse) knows no feature's errors and
 * common/ never imports a feature.
 */
export abstract class RouteError extends Error {
  /** The HTTP status of the answer. */
  abstract readonly status: number;
  /** Seconds a client should wait before asking again, sent as Retry-After. */
  declare readonly retryAfterSeconds?: number;
  /** Fields the JSON body carries besides `success` and `message`. */
  declare readonly bodyFields?: Record<string, unknown>;
  /** Headers the answer carries besides Retry-After. */
  declare readonly headers?: Record<string, string>;
}
