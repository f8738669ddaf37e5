import { RouteError } from '../common/http/route-error';

/** Domain failures of the clients routes, each with the status code it is answered with. */
export class UsernameTakenError extends RouteError {
  readonly status = 409;
  /** `heldBy`: the unreadable Drive file that holds the name, when no user does. */
  constructor(
    readonly username: string,
    heldBy?: { file: string; why: string },
  ) {
    super(
      heldBy
        ? `Username '${username}' is held by ${heldBy.file} in the Drive folder, which is not a valid user file: ${heldBy.why}`
        : `Username '${username}' is already registered`,
    );
    this.name = 'UsernameTakenError';
  }
}

export class UnknownUserError extends RouteError {
  readonly status = 404;
  constructor(readonly username: string) {
    super(`User '${username}' is not registered`);
    this.name = 'UnknownUserError';
  }
}

/** A heartbeat's token is missing where it is needed, malformed, or not this client's. */
export class ClientTokenError extends RouteError {
  readonly status = 401;
  override readonly headers = { 'WWW-Authenticate': 'Bearer' };
  constructor(message: string) {
    super(message);
    this.name = 'ClientTokenError';
  }
}

/** One address registered more than `register_limit` times within `register_window_ms`. */
export class TooManyRegistrationsError extends RouteError {
  readonly status = 429;
  constructor(
    limit: number,
    windowMs: number,
    override readonly retryAfterSeconds: number,
  ) {
    super(
      `Too many registrations from this address: at most ${limit} per ${windowMs / 1000} s. Retry in ${retryAfterSeconds} s.`,
    );
    this.name = 'TooManyRegistrationsError';
  }
}

/** The data directory is full or not writable: a registration could not be made durable. */
export class DiskUnavailableError extends RouteError {
  readonly status = 503;
  override readonly retryAfterSeconds = 5;
  constructor(problem: string) {
    super(`Registrations are paused: ${problem}. Retry once it is fixed.`);
    this.name = 'DiskUnavailableError';
  }
}

/** Drive is on and a leader has not yet read the existing folder: names cannot be handed out. */
export class DriveImportPendingError extends RouteError {
  readonly status = 503;
  override readonly retryAfterSeconds = 1;
  constructor() {
    super(
      'Registered users are still being imported from Google Drive; registrations open once the folder has been read. Retry shortly.',
    );
    this.name = 'DriveImportPendingError';
  }
}

/**
 * A new leader took over without a majority's copies of the online list (nodes restarted): its
 * list may lack clients that only the nodes it cannot reach yet know of, so /discover waits.
 */
export class OnlineListPartialError extends RouteError {
  readonly status = 503;
  override readonly retryAfterSeconds = 1;
  constructor(missing: string[]) {
    super(
      `This leader's list of online clients may be partial: it is waiting for the copies of ${missing.join(', ')} (or for every client only they know of to time out). Retry shortly.`,
    );
    this.name = 'OnlineListPartialError';
  }
}
