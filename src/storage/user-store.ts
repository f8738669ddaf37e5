import type { RegisteredUser } from './registered-user';

/** One page of users read from a store, with the entries that were not valid users. */
export interface UserPage {
  users: RegisteredUser[];
  /** Entries skipped, each with the reason, for a warning that names them. */
  skipped: { name: string; why: string }[];
}

/**
 * A file under the user's name that the store cannot read as a user: it is someone's, and is
 * never written, renamed or deleted. Final: writing again would find the same file.
 */
export interface LeftAlone {
  kind: 'left-alone';
  file: string;
  why: string;
}

/** What happened to a user written to a store. */
export type PutOutcome = 'created' | 'already-there' | 'replaced' | LeftAlone;

/**
 * An external store that keeps a copy of every committed registration. The embedded store is
 * the replicated log itself (RaftLogFile + RegistryStateMachine); Google Drive implements this.
 * Every method may throw; the caller retries.
 */
export interface UserStore {
  /** Every user the store holds, page by page, for the import into an empty cluster. */
  readAll(): AsyncGenerator<UserPage>;
  /** The usernames the store holds, for the new leader's reconciliation. */
  usernames(): Promise<Set<string>>;
  /**
   * Idempotent: never two copies of one user, whatever failed before. A readable copy of
   * another user under the name is replaced (the log is the truth); an unreadable one is not.
   */
  put(user: RegisteredUser): Promise<PutOutcome>;
}

/** The store holds damage that is not a torn tail; starting would risk serving wrong data. */
export class StoreCorruptError extends Error {
  constructor(file: string, offset: number, why: string) {
    super(`${file}: corrupt record at byte ${offset}: ${why}`);
    this.name = 'StoreCorruptError';
  }
}
