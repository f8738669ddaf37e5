/** Anything the rollcall cluster answered with an error, or could not be asked at all. */
export class RollcallError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or 0 when no node answered. */
    readonly status: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the server refused the request's fields; `message` is the server's. */
export class ValidationError extends RollcallError {}

/** 409: the username is registered already. */
export class UsernameTakenError extends RollcallError {}

/** 404 on a heartbeat: nobody is registered under this name. */
export class UnknownUserError extends RollcallError {}

/** 403 from a follower; the client follows `leaderApi` itself, so this surfaces only when it loops. */
export class NotLeaderError extends RollcallError {
  constructor(
    message: string,
    readonly currentLeader: string | null,
    readonly leaderApi: string | null,
  ) {
    super(message, 403);
  }
}

/** 503: no leader is known (an election), still after every retry the client was allowed. */
export class NoLeaderError extends RollcallError {}

/** No node could be reached (refused, reset or timed out) within the retry budget. */
export class UnreachableError extends RollcallError {}

/** The error for an HTTP answer the client does not retry. */
export function errorFor(status: number, body: unknown): RollcallError {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const message =
    typeof fields.message === 'string' ? fields.message : `unexpected HTTP status ${status}`;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  switch (status) {
    case 400:
      return new ValidationError(message, status);
    case 403:
      return new NotLeaderError(message, str(fields.current_leader), str(fields.leader_api));
    case 404:
      return new UnknownUserError(message, status);
    case 409:
      return new UsernameTakenError(message, status);
    case 503:
      return new NoLeaderError(message, status);
    default:
      return new RollcallError(message, status);
  }
}
