import { RouteError } from '../common/http/route-error';

/** No ADMIN_TOKEN on this node: the admin routes are off, and the answer says how to turn them on. */
export class AdminDisabledError extends RouteError {
  readonly status = 403;
  constructor() {
    super(
      'Admin routes are turned off on this node: start it with ADMIN_TOKEN (or ADMIN_TOKEN_FILE) set to a token of 16 or more characters, then send it as "Authorization: Bearer <token>"',
    );
    this.name = 'AdminDisabledError';
  }
}

/** The request carries no admin token, or another one: nothing is done. */
export class AdminUnauthorizedError extends RouteError {
  readonly status = 401;
  override readonly headers = { 'WWW-Authenticate': 'Bearer realm="rollcall admin"' };
  constructor(problem: 'missing' | 'wrong') {
    super(
      problem === 'missing'
        ? 'This admin route needs "Authorization: Bearer <ADMIN_TOKEN>"'
        : 'The admin token is wrong',
    );
    this.name = 'AdminUnauthorizedError';
  }
}
