import { Logger } from '@nestjs/common';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRecord } from './record-codec';
import { jsonPayload, recoverRecords } from './record-recovery';
import { isRegisteredUser, type RegisteredUser } from './registered-user';
import { StoreWriteError, type UserStore } from './user-store';

interface PendingAppend {
  record: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The embedded store: an append-only file of checksummed records under DATA_DIR.
 *
 * Appends are group-committed: whatever arrives while one write+fdatasync is under way goes
 * out together in the next one, so concurrent registrations share a disk flush.
 */
export class FileStore implements UserStore {
  private readonly logger = new Logger('FileStore');
  private readonly file: string;
  private handle: FileHandle | null = null;
  /** Bytes of whole, durable records: where the file is cut back to if a write fails. */
  private size = 0;
  private queue: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly dir: string) {
    this.file = join(dir, 'registrations.log');
  }

  async open(): Promise<RegisteredUser[]> {
    await mkdir(this.dir, { recursive: true });
    const existing = await readFile(this.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    const users = existing ? this.recover(existing) : [];
    this.handle = await open(this.file, 'a+');
    if (existing === null) await syncDirectory(this.dir);
    if (existing && this.size < existing.length) {
      await this.handle.truncate(this.size);
      await this.handle.sync();
    }
    return users;
  }

  append(user: RegisteredUser): Promise<void> {
    if (!this.handle) return Promise.reject(new StoreWriteError(new Error('store is closed')));
    const record = encodeRecord(Buffer.from(JSON.stringify(user)));
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    const h = this.handle;
    this.handle = null;
    await h?.close();
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const handle = this.handle;
      try {
        if (!handle) throw new Error('store is closed');
        const buf =
          batch.length === 1 ? batch[0].record : Buffer.concat(batch.map((p) => p.record));
        await handle.appendFile(buf);
        await handle.datasync();
        this.size += buf.length;
        for (const p of batch) p.resolve();
      } catch (err) {
        // Cut off whatever part of the batch reached the file: none of it was acknowledged.
        await handle?.truncate(this.size).catch(() => undefined);
        const failure = new StoreWriteError(err);
        this.logger.error(`${this.file}: ${failure.message}`);
        for (const p of batch) p.reject(failure);
      }
    }
    this.flushing = null;
  }

  /** Reads every whole record; a torn tail is dropped with a warning, other damage is fatal. */
  private recover(buf: Buffer): RegisteredUser[] {
    const r = recoverRecords(buf, this.file, jsonPayload(isRegisteredUser));
    if (r.tornBytes > 0) {
      this.logger.warn(
        `${this.file}: dropped a torn record at the tail (${r.tornBytes} bytes at byte ${r.validBytes}), ` +
          `left by an interrupted write; ${r.items.length} registrations before it are intact`,
      );
    }
    this.size = r.validBytes;
    return r.items;
  }
}

/** Makes a newly created file's directory entry durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
