import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';

export interface OnlineClient {
  username: string;
  addr: string;
  /** Monotonic time of the last heartbeat. */
  lastSeen: number;
}

export interface OnlineClientView {
  username: string;
  addr: string;
  /** Wall-clock ISO time of the last heartbeat. */
  last_seen: string;
  last_seen_ms_ago: number;
}

const EXPIRY_JOB = 'presence-expiry';

/**
 * Who is online: clients heard from within `client_timeout_ms`. Volatile by design.
 *
 * The map is kept in last-heartbeat order (a heartbeat moves its entry to the end), and the
 * timeout is the same for everyone, so the entries due to expire are always a prefix: an expiry
 * pass walks only those and stops at the first live one.
 */
@Injectable()
export class PresenceService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Presence');
  private readonly online = new Map<string, OnlineClient>();
  private readonly timeoutMs: number;

  constructor(
    @Inject(CLUSTER_CONFIG) config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
  ) {
    this.timeoutMs = config.clientTimeoutMs;
  }

  onModuleInit(): void {
    // Reads expire lazily anyway; the pass only bounds how long a stale entry holds memory.
    const everyMs = Math.min(1000, Math.max(10, Math.floor(this.timeoutMs / 10)));
    this.scheduler.addInterval(
      EXPIRY_JOB,
      setInterval(() => this.expireDue(), everyMs),
    );
  }

  onModuleDestroy(): void {
    if (this.scheduler.doesExist('interval', EXPIRY_JOB)) this.scheduler.deleteInterval(EXPIRY_JOB);
  }

  get count(): number {
    this.expireDue();
    return this.online.size;
  }

  heartbeat(username: string, addr: string): void {
    const now = this.clock.monotonicMs();
    const entry = this.online.get(username);
    if (entry) {
      // Re-inserting keeps the map ordered by last heartbeat.
      this.online.delete(username);
      entry.addr = addr;
      entry.lastSeen = now;
      this.online.set(username, entry);
    } else {
      this.online.set(username, { username, addr, lastSeen: now });
    }
  }

  /** Removes every client whose last heartbeat is at least the timeout old; returns how many. */
  expireDue(): number {
    const now = this.clock.monotonicMs();
    let expired = 0;
    for (const entry of this.online.values()) {
      if (now - entry.lastSeen < this.timeoutMs) break;
      this.online.delete(entry.username);
      expired++;
      this.logger.debug(
        `'${entry.username}' went offline (no heartbeat for ${Math.round(now - entry.lastSeen)} ms)`,
      );
    }
    return expired;
  }

  list(): OnlineClientView[] {
    this.expireDue();
    const now = this.clock.monotonicMs();
    const wall = this.clock.wallMs();
    const out: OnlineClientView[] = [];
    for (const c of this.online.values()) {
      const age = Math.max(0, Math.round(now - c.lastSeen));
      out.push({
        username: c.username,
        addr: c.addr,
        last_seen: new Date(wall - age).toISOString(),
        last_seen_ms_ago: age,
      });
    }
    return out;
  }
}
