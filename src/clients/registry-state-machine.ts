import { isRegisteredUser, type RegisteredUser } from '../storage/registered-user';

/** What a registration entry in the replicated log carries. */
export interface RegisterCommand {
  op: 'register';
  user: RegisteredUser;
  /** SHA-256 (hex) of the client's token; the token itself is never stored or replicated. */
  token_sha256?: string;
}

/** A name whose file in the Drive folder is not a readable user: it is nobody's to take. */
export interface ReservedName {
  username: string;
  /** The file holding the name, and why it is not a user, for the 409 that refuses the name. */
  file: string;
  why: string;
}

/** Users read from an existing Google Drive folder; a name already taken is skipped. */
export interface ImportCommand {
  op: 'import';
  users: RegisteredUser[];
  /** Absent in entries written before unreadable files held their names. */
  reserved?: ReservedName[];
}

/** The Drive folder has been read to the end: no later leader imports it again. */
export interface DriveImportedCommand {
  op: 'drive-imported';
}

export type ApplyResult =
  | { kind: 'registered'; user: RegisteredUser }
  /** The name was taken by an entry applied earlier: the later registration gets 409. */
  | { kind: 'taken'; username: string }
  | { kind: 'imported'; added: RegisteredUser[]; skipped: string[] }
  /** A leader's no-op, the import marker, or a command this version does not know. */
  | { kind: 'noop' };

export interface RegistrySnapshot {
  users: RegisteredUser[];
  /** Absent in snapshots taken before Drive import existed: read as false. */
  drive_imported?: boolean;
  /** Token hashes by username; absent before tokens existed. */
  token_hashes?: Record<string, string>;
  /** Absent before unreadable Drive files held their names: read as none. */
  reserved?: ReservedName[];
}

export function isRegisterCommand(v: unknown): v is RegisterCommand {
  const c = v as Partial<RegisterCommand> | null;
  return typeof c === 'object' && c !== null && c.op === 'register' && isRegisteredUser(c.user);
}

function isReservedName(v: unknown): v is ReservedName {
  const r = v as Partial<ReservedName> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.username === 'string' &&
    typeof r.file === 'string' &&
    typeof r.why === 'string'
  );
}

function isImportCommand(v: unknown): v is ImportCommand {
  const c = v as Partial<ImportCommand> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    c.op === 'import' &&
    Array.isArray(c.users) &&
    c.users.every(isRegisteredUser) &&
    (c.reserved === undefined || (Array.isArray(c.reserved) && c.reserved.every(isReservedName)))
  );
}

function isDriveImportedCommand(v: unknown): v is DriveImportedCommand {
  return typeof v === 'object' && v !== null && (v as { op?: unknown }).op === 'drive-imported';
}

/**
 * The registry as a deterministic state machine over the committed log: every node applies
 * the same entries in the same order and so holds the same users, and a name taken by an
 * earlier entry stays taken, whichever leader proposed the later one.
 */
export class RegistryStateMachine {
  private readonly users = new Map<string, RegisteredUser>();
  private applied = 0;
  private imported = false;
  private readonly tokenHashes = new Map<string, string>();
  /** Names held by unreadable files in the Drive folder: taken, though nobody registered them. */
  private readonly reserved = new Map<string, ReservedName>();

  get appliedIndex(): number {
    return this.applied;
  }

  get count(): number {
    return this.users.size;
  }

  /** The hash of the user's token, or undefined for a user registered without one. */
  tokenHash(username: string): string | undefined {
    return this.tokenHashes.get(username);
  }

  /** Whether a leader has read the whole Drive folder into the log. */
  get driveImported(): boolean {
    return this.imported;
  }

  find(username: string): RegisteredUser | undefined {
    return this.users.get(username);
  }

  /** The unreadable Drive file that holds the name, if one does. */
  reservation(username: string): ReservedName | undefined {
    return this.reserved.get(username);
  }

  all(): RegisteredUser[] {
    return [...this.users.values()];
  }

  apply(index: number, data: unknown): ApplyResult {
    if (index !== this.applied + 1) {
      throw new Error(`entry ${index} applied after ${this.applied}: entries must come in order`);
    }
    this.applied = index;
    if (isRegisterCommand(data)) {
      const { user } = data;
      if (this.users.has(user.username) || this.reserved.has(user.username)) {
        return { kind: 'taken', username: user.username };
      }
      this.users.set(user.username, user);
      if (typeof data.token_sha256 === 'string')
        this.tokenHashes.set(user.username, data.token_sha256);
      return { kind: 'registered', user };
    }
    if (isImportCommand(data)) return this.applyImport(data);
    if (isDriveImportedCommand(data)) this.imported = true;
    return { kind: 'noop' };
  }

  /**
   * A readable file wins over an unreadable one under the same name (Drive allows two files
   * of one name): its user is added and frees the name's reservation, in either order.
   */
  private applyImport(command: ImportCommand): ApplyResult {
    const added: RegisteredUser[] = [];
    const skipped: string[] = [];
    for (const user of command.users) {
      if (this.users.has(user.username)) {
        skipped.push(user.username);
      } else {
        this.users.set(user.username, user);
        this.reserved.delete(user.username);
        added.push(user);
      }
    }
    for (const held of command.reserved ?? []) {
      if (!this.users.has(held.username)) this.reserved.set(held.username, held);
    }
    return { kind: 'imported', added, skipped };
  }

  snapshot(): RegistrySnapshot {
    return {
      users: this.all(),
      drive_imported: this.imported,
      token_hashes: Object.fromEntries(this.tokenHashes),
      reserved: [...this.reserved.values()],
    };
  }

  /** Replaces everything with a snapshot that covers the log up to `index`. */
  restore(index: number, snapshot: RegistrySnapshot): void {
    this.users.clear();
    for (const u of snapshot.users) this.users.set(u.username, u);
    this.imported = snapshot.drive_imported === true;
    this.tokenHashes.clear();
    for (const [name, hash] of Object.entries(snapshot.token_hashes ?? {})) {
      if (typeof hash === 'string') this.tokenHashes.set(name, hash);
    }
    this.reserved.clear();
    for (const held of snapshot.reserved ?? []) {
      if (isReservedName(held)) this.reserved.set(held.username, held);
    }
    this.applied = index;
  }
}
