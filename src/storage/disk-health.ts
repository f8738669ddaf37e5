import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { mkdir, open, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { startNamedInterval, stopNamedInterval } from '../common/named-interval';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';

export interface DiskStatus {
  writable: boolean;
  free_bytes: number | null;
  /** Why registrations are refused, or null while the data directory takes writes. */
  problem: string | null;
}

const CHECK_EVERY_MS = 500;
const CHECK_JOB = 'disk-health';
const PROBE_FILE = '.write-probe';

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Whether the data directory can take the next registration: it is writable (a small file is
 * written and fsynced) and has more than `min_free_disk_mb` free. Looked at twice a second, so
 * a full or read-only disk turns registrations into a clear 503 before a log append fails (a
 * failed append stops the node, since the log would no longer hold what the core believes),
 * and registrations resume on their own once space returns.
 */
@Injectable()
export class DiskHealth implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Disk');
  private state: DiskStatus = { writable: true, free_bytes: null, problem: null };
  private checking = false;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  get status(): DiskStatus {
    return this.state;
  }

  async onModuleInit(): Promise<void> {
    await this.check();
    startNamedInterval(this.scheduler, CHECK_JOB, CHECK_EVERY_MS, () => void this.check(), {
      unref: true,
    });
  }

  onModuleDestroy(): void {
    stopNamedInterval(this.scheduler, CHECK_JOB);
  }

  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      this.update(await this.look());
    } finally {
      this.checking = false;
    }
  }

  private async look(): Promise<DiskStatus> {
    const dir = this.config.dataDir;
    let free: number;
    try {
      // The first look may come before the log has made the directory.
      await mkdir(dir, { recursive: true });
      const s = await statfs(dir);
      free = s.bavail * s.bsize;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      return { writable: false, free_bytes: null, problem: `data directory ${dir}: ${code}` };
    }
    const probe = join(dir, PROBE_FILE);
    try {
      const handle = await open(probe, 'w');
      try {
        await handle.writeFile('probe');
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await unlink(probe);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      return {
        writable: false,
        free_bytes: free,
        problem: `data directory ${dir} is not writable (${code})`,
      };
    }
    const min = this.config.minFreeDiskBytes;
    if (free < min) {
      return {
        writable: true,
        free_bytes: free,
        problem: `data directory ${dir} is full: ${mib(free)} free, ${mib(min)} needed (min_free_disk_mb)`,
      };
    }
    return { writable: true, free_bytes: free, problem: null };
  }

  private update(next: DiskStatus): void {
    const before = this.state.problem;
    this.state = next;
    if (next.problem !== null && before === null) {
      this.logger.error(`${next.problem}: registrations are refused until this is fixed`);
    } else if (next.problem === null && before !== null) {
      this.logger.log('data directory takes writes again: registrations resume');
    }
  }
}
