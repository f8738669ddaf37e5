import type { RegisteredUser } from './registered-user';

/**
 * Where registrations live. The embedded FileStore is the default; the Drive issue adds a second
 * implementation. `append` resolves only once the user is durable.
 */
export interface UserStore {
  /** Opens the store and returns every user it holds, in registration order. */
  open(): Promise<RegisteredUser[]>;
  append(user: RegisteredUser): Promise<void>;
  /** Waits for appends in flight, then releases the store. */
  close(): Promise<void>;
}

export const USER_STORE = Symbol('USER_STORE');

/** The store could not make a write durable; nothing was acknowledged. */
export class StoreWriteError extends Error {
  constructor(cause: unknown) {
    super(`could not persist the registration: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'StoreWriteError';
  }
}

/** The store holds damage that is not a torn tail; starting would risk serving wrong data. */
export class StoreCorruptError extends Error {
  constructor(file: string, offset: number, why: string) {
    super(`${file}: corrupt record at byte ${offset}: ${why}`);
    this.name = 'StoreCorruptError';
  }
}
