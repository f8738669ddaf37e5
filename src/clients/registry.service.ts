import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CLOCK, type Clock } from '../common/clock';
import { ElectionService } from '../election/election.service';
import type { RegisteredUser } from '../storage/registered-user';
import { UsernameTakenError } from './client-errors';
import {
  type ApplyResult,
  type RegisterCommand,
  RegistryStateMachine,
  type RegistrySnapshot,
} from './registry-state-machine';

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

  constructor(
    private readonly log: ElectionService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.log.attach({
      apply: (index, data) => this.machine.apply(index, data),
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

  find(username: string): RegisteredUser | undefined {
    return this.machine.find(username);
  }

  all(): RegisteredUser[] {
    return this.machine.all();
  }

  /** Resolves once the registration is committed and applied; a taken name throws UsernameTakenError. */
  async register(username: string, addr: string): Promise<RegisteredUser> {
    if (this.machine.find(username) || this.pending.has(username))
      throw new UsernameTakenError(username);
    const user: RegisteredUser = {
      user_id: randomUUID(),
      username,
      addr,
      registered_at: new Date(this.clock.wallMs()).toISOString(),
    };
    const command: RegisterCommand = { op: 'register', user };
    this.pending.add(username);
    let result: ApplyResult;
    try {
      result = (await this.log.propose(command)) as ApplyResult;
    } finally {
      this.pending.delete(username);
    }
    // Taken by an entry committed first, perhaps proposed by an earlier leader.
    if (result.kind !== 'registered') throw new UsernameTakenError(username);
    this.logger.debug(`registered '${username}' at ${addr}`);
    return result.user;
  }
}
