import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { RegistryService } from '../clients/registry.service';
import { CLOCK, type Clock } from '../common/clock';
import { LeaseNotHeldError } from '../common/http/leadership-errors';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState } from '../election/leadership-state';
import type { UserPage, UserStore } from '../storage/user-store';
import type { ReservedName } from '../clients/registry-state-machine';
import { describeDriveFailure } from './drive-failure';
import { DriveHealth } from './drive-health';
import { DriveOutbox } from './drive-outbox';
import { FailureStreak } from './failure-streak';
import { formatDuration } from './format-duration';
import { userFileName, usernameOfFile } from './drive-user-file';
import { RetryPolicy } from './retry-policy';

export const USER_STORE = Symbol('USER_STORE');

export interface DriveStatus {
  enabled: boolean;
  /** Users committed but not yet in the folder (the leader's queue; 0 on a follower). */
  pending_writes: number;
  last_error: string | null;
  last_success_at: string | null;
}

const LEASE_WAIT_MS = 20;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Keeps the Drive folder a copy of the registry. Only the leader writes: on taking office it
 * imports the folder if the log has never done so, then lists the folder and queues every
 * committed user missing from it; from then on each user the log adds is queued as it is
 * applied. Drive being down never holds up a registration, which is acknowledged once
 * committed; the queue waits, retries and is rebuilt by the next leader if this one dies.
 */
@Injectable()
export class DriveSyncService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Drive');
  private readonly health = new DriveHealth();
  private readonly policy: RetryPolicy;
  private readonly outbox: DriveOutbox | null;
  /** Bumped on every change of leadership, so a previous term's work stops where it is. */
  private generation = 0;
  private leading = false;

  constructor(
    @Inject(CLUSTER_CONFIG) config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(USER_STORE) private readonly store: UserStore | null,
    private readonly leadership: LeadershipState,
    private readonly registry: RegistryService,
  ) {
    this.policy = new RetryPolicy(config.drive.retryBaseMs, config.drive.retryMaxMs);
    if (store) registry.holdRegistrationsUntilImported();
    this.outbox = store
      ? new DriveOutbox(
          store,
          this.policy,
          clock,
          {
            failing: (f, pending) =>
              this.logger.warn(
                `Drive write failed: ${f.message}; ${pending} writes pending, retrying with backoff (repeated once a minute while it lasts)`,
              ),
            stillFailing: (f, pending, since) =>
              this.logger.warn(
                `Drive still failing after ${formatDuration(since)}: ${pending} writes pending; last error: ${f.message}`,
              ),
            recovered: (pending, after) =>
              this.logger.log(
                `Drive writes succeed again after ${formatDuration(after)}; ${pending} still pending`,
              ),
            replaced: (user) =>
              this.logger.warn(
                `replaced ${userFileName(user.username)} in the Drive folder: it held another user_id or addr than the log's '${user.username}'`,
              ),
            leftAlone: (user, { file, why }) =>
              this.logger.warn(
                `left ${file} in the Drive folder alone: it is not a valid user file (${why}), and rollcall never writes a file it cannot read. '${user.username}' is registered all the same; fix or remove the file by hand (once it is gone, the next leader to take office writes it)`,
              ),
          },
          this.health,
        )
      : null;
  }

  onModuleInit(): void {
    if (!this.outbox) return;
    const outbox = this.outbox;
    // Imported users came from the folder: they are there already.
    this.registry.onAdded((user, source) => {
      if (this.leading && source === 'register') outbox.add(user);
    });
    this.leadership.onChange((view, before) => {
      if (view.role === 'leader' && (before.role !== 'leader' || before.term !== view.term)) {
        this.takeOffice();
      } else if (view.role !== 'leader' && this.leading) {
        this.leaveOffice();
      }
    });
  }

  onModuleDestroy(): void {
    if (this.leading) this.leaveOffice();
  }

  status(): DriveStatus {
    return {
      enabled: this.outbox !== null,
      pending_writes: this.outbox?.pending ?? 0,
      last_error: this.health.lastError,
      last_success_at: this.health.lastSuccessAt,
    };
  }

  /** Drive calls that failed since this node started (each retry counts). */
  get errorCount(): number {
    return this.health.failures;
  }

  private takeOffice(): void {
    const gen = ++this.generation;
    this.leading = true;
    this.outbox?.start();
    void this.catchUp(gen);
  }

  private leaveOffice(): void {
    this.generation++;
    this.leading = false;
    this.outbox?.stop();
  }

  private current(gen: number): boolean {
    return this.leading && gen === this.generation;
  }

  private async catchUp(gen: number): Promise<void> {
    if (!this.registry.driveImported) {
      if (!(await this.untilDone(gen, 'import', () => this.importFolder(gen)))) return;
    }
    await this.untilDone(gen, 'reconciliation', () => this.reconcile(gen));
  }

  /** Reads every user file in the folder into the log, then marks the import done in the log. */
  private async importFolder(gen: number): Promise<void> {
    this.logger.log('importing the registered-users folder from Drive (the log has never read it)');
    let files = 0;
    let added = 0;
    let taken = 0;
    let held = 0;
    for await (const page of this.store!.readAll()) {
      if (!this.current(gen)) return;
      this.health.succeeded(this.clock.wallMs());
      const reserved = this.reservedNames(page.skipped);
      files += page.users.length + page.skipped.length;
      if (page.users.length > 0 || reserved.length > 0) {
        const r = await this.registry.importUsers(page.users, reserved);
        added += r.added;
        taken += r.skipped.length;
        held += reserved.length;
      }
      this.logger.log(`import: ${files} files read, ${added} users added so far`);
    }
    if (!this.current(gen)) return;
    await this.registry.markDriveImported();
    this.logger.log(
      `import done: ${files} files read, ${added} users added, ${taken} already registered under the same name, ${held} names held by files that are not valid users`,
    );
  }

  /** Warns of each file skipped; one named `<name>.json` keeps its name from being handed out. */
  private reservedNames(skipped: UserPage['skipped']): ReservedName[] {
    const reserved: ReservedName[] = [];
    for (const { name: file, why } of skipped) {
      const username = usernameOfFile(file);
      if (username === null) {
        this.logger.warn(`skipped '${file}' in the registered-users folder: ${why}`);
        continue;
      }
      this.logger.warn(
        `skipped '${file}' in the registered-users folder: ${why}; the name '${username}' stays taken, and rollcall never writes the file`,
      );
      reserved.push({ username, file, why });
    }
    return reserved;
  }

  /** Queues every committed user the folder lacks: the previous leader's unfinished work. */
  private async reconcile(gen: number): Promise<void> {
    const names = await this.store!.usernames();
    if (!this.current(gen)) return;
    this.health.succeeded(this.clock.wallMs());
    let missing = 0;
    for (const user of this.registry.all()) {
      if (names.has(user.username)) continue;
      this.outbox!.add(user);
      missing++;
    }
    this.logger.log(
      `reconciled with Drive: ${names.size} user files in the folder, ${missing} committed users queued for writing`,
    );
  }

  /** Runs `step` until it succeeds or this term of office ends; false if it ended first. */
  private async untilDone(gen: number, what: string, step: () => Promise<void>): Promise<boolean> {
    const streak = new FailureStreak(this.clock);
    while (this.current(gen)) {
      try {
        await step();
        const failures = streak.count;
        if (streak.ended() !== null) {
          this.logger.log(`Drive ${what} succeeded after ${failures} failures`);
        }
        return this.current(gen);
      } catch (err) {
        if (!this.current(gen)) return false;
        if (err instanceof LeaseNotHeldError) {
          // Elected, but a majority has not confirmed it yet: not Drive's doing, and brief.
          await sleep(LEASE_WAIT_MS);
          continue;
        }
        const failure = describeDriveFailure(err);
        this.health.failed(failure.message);
        const report = streak.failed();
        if (report?.say === 'first') {
          this.logger.warn(`Drive ${what} failed: ${failure.message}; retrying with backoff`);
        } else if (report) {
          this.logger.warn(
            `Drive ${what} still failing after ${formatDuration(report.forMs)}: ${failure.message}`,
          );
        }
        const delay = this.policy.delayMs(streak.count, failure, this.clock.wallMs());
        await sleep(delay);
      }
    }
    return false;
  }
}
