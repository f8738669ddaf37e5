import type { RegisteredUser } from './registered-user';

/**
 * An external store that receives every committed registration, and can hand back what it
 * holds. The embedded store is the replicated log itself (RaftLogFile + RegistryStateMachine);
 * Google Drive implements this interface.
 */
export interface UserStore {
  /** Opens the store and returns every user it holds. */
  open(): Promise<RegisteredUser[]>;
  append(user: RegisteredUser): Promise<void>;
  /** Waits for writes in flight, then releases the store. */
  close(): Promise<void>;
}

/** The store holds damage that is not a torn tail; starting would risk serving wrong data. */
export class StoreCorruptError extends Error {
  constructor(file: string, offset: number, why: string) {
    super(`${file}: corrupt record at byte ${offset}: ${why}`);
    this.name = 'StoreCorruptError';
  }
}
