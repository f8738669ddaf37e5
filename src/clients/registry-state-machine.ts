import { isRegisteredUser, type RegisteredUser } from '../storage/registered-user';

/** What a registration entry in the replicated log carries. */
export interface RegisterCommand {
  op: 'register';
  user: RegisteredUser;
}

export type ApplyResult =
  | { kind: 'registered'; user: RegisteredUser }
  /** The name was taken by an entry applied earlier: the later registration gets 409. */
  | { kind: 'taken'; username: string }
  /** A leader's no-op, or a command this version does not know: nothing changes. */
  | { kind: 'noop' };

export interface RegistrySnapshot {
  users: RegisteredUser[];
}

export function isRegisterCommand(v: unknown): v is RegisterCommand {
  const c = v as Partial<RegisterCommand> | null;
  return typeof c === 'object' && c !== null && c.op === 'register' && isRegisteredUser(c.user);
}

/**
 * The registry as a deterministic state machine over the committed log: every node applies
 * the same entries in the same order and so holds the same users, and a name taken by an
 * earlier entry stays taken, whichever leader proposed the later one.
 */
export class RegistryStateMachine {
  private readonly users = new Map<string, RegisteredUser>();
  private applied = 0;

  get appliedIndex(): number {
    return this.applied;
  }

  get count(): number {
    return this.users.size;
  }

  find(username: string): RegisteredUser | undefined {
    return this.users.get(username);
  }

  all(): RegisteredUser[] {
    return [...this.users.values()];
  }

  apply(index: number, data: unknown): ApplyResult {
    if (index !== this.applied + 1) {
      throw new Error(`entry ${index} applied after ${this.applied}: entries must come in order`);
    }
    this.applied = index;
    if (!isRegisterCommand(data)) return { kind: 'noop' };
    const { user } = data;
    if (this.users.has(user.username)) return { kind: 'taken', username: user.username };
    this.users.set(user.username, user);
    return { kind: 'registered', user };
  }

  snapshot(): RegistrySnapshot {
    return { users: this.all() };
  }

  /** Replaces everything with a snapshot that covers the log up to `index`. */
  restore(index: number, snapshot: RegistrySnapshot): void {
    this.users.clear();
    for (const u of snapshot.users) this.users.set(u.username, u);
    this.applied = index;
  }
}
