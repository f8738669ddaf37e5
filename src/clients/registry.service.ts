import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CLOCK, type Clock } from '../common/clock';
import type { RegisteredUser } from '../storage/registered-user';
import { USER_STORE, type UserStore } from '../storage/user-store';
import { UsernameTakenError } from './client-errors';

/** Every registered client, loaded from the store at start and written through it. */
@Injectable()
export class RegistryService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Registry');
  private readonly users = new Map<string, RegisteredUser>();
  /** Names whose registration is being persisted: a second one must not slip in meanwhile. */
  private readonly pending = new Set<string>();

  constructor(
    @Inject(USER_STORE) private readonly store: UserStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const user of await this.store.open()) this.users.set(user.username, user);
    this.logger.log(`loaded ${this.users.size} registered users`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
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

  /** Resolves once the registration is durable; a taken name throws UsernameTakenError. */
  async register(username: string, addr: string): Promise<RegisteredUser> {
    if (this.users.has(username) || this.pending.has(username))
      throw new UsernameTakenError(username);
    const user: RegisteredUser = {
      user_id: randomUUID(),
      username,
      addr,
      registered_at: new Date(this.clock.wallMs()).toISOString(),
    };
    this.pending.add(username);
    try {
      await this.store.append(user);
    } finally {
      this.pending.delete(username);
    }
    this.users.set(username, user);
    this.logger.debug(`registered '${username}' at ${addr}`);
    return user;
  }
}
