import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { ReplicatedLog } from '../election/replicated-log';
import type { RegisteredUser } from '../storage/registered-user';
import { DiskHealth } from '../storage/disk-health';
import { hashClientToken, newClientToken } from './client-token';
import { newUserId } from './user-id';
import { DiskUnavailableError, DriveImportPendingError, UsernameTakenError } from './client-errors';
import {
  type ApplyResult,
  type DriveImportedCommand,
  type ImportCommand,
  type RegisterCommand,
  RegistryStateMachine,
  type ReservedName,
  type RegistrySnapshot,
} from './registry-state-machine';

/** What the registry proposes to the replicated log. */
type RegistryCommand = RegisterCommand | ImportCommand | DriveImportedCommand;

/** How a user came into the log: through POST /register, or read from the Drive folder. */
export type UserSource = 'register' | 'import';

/**
 * Every registered client. A registration is an entry in the replicated log: it is answered
 * once a majority has it on disk and it is applied here; every node applies the same entries,
 * so a new leader already has every user.
 */
@Injectable()
export class RegistryService implements OnModuleInit {
  private readonly logger = new Logger('Registry');
  private readonly machine = new RegistryStateMachine();
  /** Names proposed by this leader and not yet applied: a second one is refused at once. */
  private readonly pending = new Set<string>();
  private readonly listeners: ((user: RegisteredUser, source: UserSource) => void)[] = [];
  /** With Drive on, names are handed out only once the folder's users are in the log. */
  private waitForDriveImport = false;

  constructor(
    private readonly log: ReplicatedLog<RegistryCommand, ApplyResult>,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly disk: DiskHealth,
  ) {}

  onModuleInit(): void {
    this.log.attach({
      apply: (index, data) => {
        const result = this.machine.apply(index, data);
        if (result.kind === 'registered') this.notify(result.user, 'register');
        else if (result.kind === 'imported') {
          for (const user of result.added) this.notify(user, 'import');
        }
        return result;
      },
      snapshot: () => this.machine.snapshot(),
      restore: (index, data) => {
        this.machine.restore(index, data as RegistrySnapshot);
        this.logger.log(
          `restored ${this.machine.count} registered users from a snapshot at ${index}`,
        );
      },
    });
  }

  get count(): number {
    return this.machine.count;
  }

  get driveImported(): boolean {
    return this.machine.driveImported;
  }

  /** Called on every node for each user the log adds, in log order, once applied. */
  onAdded(listener: (user: RegisteredUser, source: UserSource) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Hands out no name until the log records that the Drive folder was imported
   * (markDriveImported), so a name taken there is never given to someone else. Drive's sync calls
   * it at start when Drive is on; the registry itself knows nothing of Drive's settings.
   */
  holdRegistrationsUntilImported(): void {
    this.waitForDriveImport = true;
  }

  /**
   * Adds users read from Drive (names already taken are skipped) and holds the names of files
   * that are not users; resolves once applied.
   */
  async importUsers(
    users: RegisteredUser[],
    reserved: ReservedName[] = [],
  ): Promise<{ added: number; skipped: string[] }> {
    // Without reservations the entry keeps the shape every earlier version applies.
    const command: ImportCommand =
      reserved.length > 0 ? { op: 'import', users, reserved } : { op: 'import', users };
    const result = await this.log.propose(command);
    if (result.kind !== 'imported') return { added: 0, skipped: [] };
    return { added: result.added.length, skipped: result.skipped };
  }

  /** Records in the log that the Drive folder has been imported, so no leader imports it again. */
  async markDriveImported(): Promise<void> {
    const command: DriveImportedCommand = { op: 'drive-imported' };
    await this.log.propose(command);
  }

  find(username: string): RegisteredUser | undefined {
    return this.machine.find(username);
  }

  all(): RegisteredUser[] {
    return this.machine.all();
  }

  tokenHash(username: string): string | undefined {
    return this.machine.tokenHash(username);
  }

  /**
   * Resolves once the registration is committed and applied, with the client's token (only its
   * hash goes into the log); a taken name throws UsernameTakenError.
   */
  async register(username: string, addr: string): Promise<{ user: RegisteredUser; token: string }> {
    const diskProblem = this.disk.status.problem;
    if (diskProblem !== null) throw new DiskUnavailableError(diskProblem);
    if (this.waitForDriveImport && !this.machine.driveImported) throw new DriveImportPendingError();
    const heldBy = this.machine.reservation(username);
    if (heldBy) throw new UsernameTakenError(username, heldBy);
    if (this.machine.find(username) || this.pending.has(username))
      throw new UsernameTakenError(username);
    const user: RegisteredUser = {
      user_id: newUserId(),
      username,
      addr,
      registered_at: new Date(this.clock.wallMs()).toISOString(),
    };
    const token = newClientToken();
    const command: RegisterCommand = { op: 'register', user, token_sha256: hashClientToken(token) };
    this.pending.add(username);
    let result: ApplyResult;
    try {
      result = await this.log.propose(command);
    } finally {
      this.pending.delete(username);
    }
    // Taken by an entry committed first, perhaps proposed by an earlier leader.
    if (result.kind !== 'registered') {
      throw new UsernameTakenError(username, this.machine.reservation(username));
    }
    this.logger.debug(`registered '${username}' at ${addr}`);
    return { user: result.user, token };
  }

  private notify(user: RegisteredUser, source: UserSource): void {
    for (const listener of this.listeners) listener(user, source);
  }
}
