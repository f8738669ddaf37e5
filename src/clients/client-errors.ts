/** Domain failures of the clients routes; the HTTP layer maps each to its status code. */
export class UsernameTakenError extends Error {
  constructor(readonly username: string) {
    super(`Username '${username}' is already registered`);
    this.name = 'UsernameTakenError';
  }
}

export class UnknownUserError extends Error {
  constructor(readonly username: string) {
    super(`User '${username}' is not registered`);
    this.name = 'UnknownUserError';
  }
}
