import { Logger } from '@nestjs/common';
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from './sync-directory';
import { decodeRecordAt, encodeRecord } from './record-codec';
import { jsonPayload, recoverRecords } from './record-recovery';
import { SerialQueue } from './serial-queue';
import { StoreCorruptError } from './user-store';

/** One entry of the replicated log, as the consensus core hands it over. */
export interface LogEntry {
  index: number;
  term: number;
  data: unknown;
}

/** A state-machine snapshot that stands in for every entry up to `index`. */
export interface LogSnapshot {
  index: number;
  term: number;
  data: unknown;
}

function isEntry(v: unknown): v is LogEntry {
  const e = v as Partial<LogEntry> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    Number.isSafeInteger(e.index) &&
    (e.index as number) > 0 &&
    Number.isSafeInteger(e.term) &&
    (e.term as number) >= 0 &&
    'data' in e
  );
}

const parseSnapshot = jsonPayload(isEntry);

/**
 * The replicated log on disk: `raft.log`, one checksummed record per entry, and
 * `snapshot.json`, the latest snapshot, replaced atomically. Compaction rewrites the log without
 * the entries a snapshot covers. Every write is fsynced before it resolves.
 *
 * A snapshot is saved in the background while entries go on being appended: changes to each
 * file are queued, one at a time and in the order asked, so a compaction never interleaves
 * with an append, and the log is compacted only once the snapshot that covers it is on disk.
 */
export class RaftLogFile {
  private readonly logger = new Logger('RaftLog');
  private readonly logPath: string;
  private readonly snapshotPath: string;
  private handle: FileHandle | null = null;
  /** Byte offset of each entry in the file, from `firstIndex` on. */
  private offsets: number[] = [];
  private firstIndex = 1;
  private size = 0;
  private readonly logChanges = new SerialQueue();
  private readonly snapshotChanges = new SerialQueue();

  constructor(private readonly dir: string) {
    this.logPath = join(dir, 'raft.log');
    this.snapshotPath = join(dir, 'snapshot.json');
  }

  async open(): Promise<{ snapshot: LogSnapshot | null; entries: LogEntry[] }> {
    await mkdir(this.dir, { recursive: true });
    const snapshot = await this.readSnapshot();
    const buf = await readFile(this.logPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    const r = recoverRecords(buf, this.logPath, jsonPayload(isEntry));
    if (r.tornBytes > 0) {
      this.logger.warn(
        `${this.logPath}: dropped a torn entry at the tail (${r.tornBytes} bytes); ${r.items.length} entries before it are intact`,
      );
    }
    const { items: entries, offsets } = r;
    for (let i = 1; i < entries.length; i++) {
      if (entries[i].index !== entries[i - 1].index + 1) {
        throw new StoreCorruptError(
          this.logPath,
          offsets[i],
          `entry ${entries[i].index} follows ${entries[i - 1].index}`,
        );
      }
    }
    this.firstIndex = entries[0]?.index ?? (snapshot ? snapshot.index + 1 : 1);
    this.offsets = offsets;
    this.size = r.validBytes;
    this.handle = await open(this.logPath, 'a+');
    if (r.tornBytes > 0) {
      await this.handle.truncate(this.size);
      await this.handle.sync();
    }
    if (buf.length === 0) await syncDirectory(this.dir);
    // Entries a snapshot already covers are leftovers of a compaction cut short.
    const kept = snapshot ? entries.filter((e) => e.index > snapshot.index) : entries;
    return { snapshot, entries: kept };
  }

  /**
   * Appends entries, first cutting off every entry from `truncateFrom` on (a conflicting
   * suffix the leader replaced). Resolves once it is all on disk.
   */
  append(entries: LogEntry[], truncateFrom?: number): Promise<void> {
    return this.logChanges.run(() => this.appendNow(entries, truncateFrom));
  }

  private async appendNow(entries: LogEntry[], truncateFrom?: number): Promise<void> {
    const handle = this.need();
    if (truncateFrom !== undefined) {
      const k = truncateFrom - this.firstIndex;
      if (k < 0)
        throw new Error(
          `cannot truncate from ${truncateFrom}: the log starts at ${this.firstIndex}`,
        );
      if (k < this.offsets.length) {
        this.size = this.offsets[k];
        this.offsets.length = k;
        await handle.truncate(this.size);
      }
    }
    const next = this.firstIndex + this.offsets.length;
    if (entries.length > 0 && entries[0].index !== next) {
      throw new Error(`entry ${entries[0].index} does not follow ${next - 1}`);
    }
    const records = entries.map((e) => encodeRecord(Buffer.from(JSON.stringify(e))));
    for (const rec of records) {
      this.offsets.push(this.size);
      this.size += rec.length;
    }
    if (records.length > 0) await handle.appendFile(Buffer.concat(records));
    await handle.datasync();
  }

  /** Saves a snapshot atomically, then drops the entries it covers from the log. */
  async saveSnapshot(snapshot: LogSnapshot): Promise<void> {
    await this.snapshotChanges.run(() => this.writeSnapshotFile(snapshot));
    await this.logChanges.run(() => this.compact(snapshot.index));
  }

  /**
   * A snapshot from the leader replaces the whole log: saved atomically, then every stored
   * entry is dropped, the covered ones and any that follow (they may conflict).
   */
  async installSnapshot(snapshot: LogSnapshot): Promise<void> {
    await this.snapshotChanges.run(() => this.writeSnapshotFile(snapshot));
    await this.logChanges.run(async () => {
      const handle = this.need();
      this.offsets = [];
      this.size = 0;
      this.firstIndex = snapshot.index + 1;
      await handle.truncate(0);
      await handle.datasync();
    });
  }

  /** Closes the log once every change already asked for is on disk. */
  async close(): Promise<void> {
    await this.snapshotChanges.run(() => Promise.resolve());
    await this.logChanges.run(async () => {
      const h = this.handle;
      this.handle = null;
      await h?.close();
    });
  }

  private async writeSnapshotFile(snapshot: LogSnapshot): Promise<void> {
    const tmp = `${this.snapshotPath}.tmp`;
    const f = await open(tmp, 'w');
    try {
      await f.writeFile(encodeRecord(Buffer.from(JSON.stringify(snapshot))));
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, this.snapshotPath);
    await syncDirectory(this.dir);
  }

  private async compact(upTo: number): Promise<void> {
    const handle = this.need();
    const k = Math.min(this.offsets.length, Math.max(0, upTo - this.firstIndex + 1));
    const from = k < this.offsets.length ? this.offsets[k] : this.size;
    const kept = Buffer.alloc(this.size - from);
    if (kept.length > 0) await handle.read(kept, 0, kept.length, from);
    const tmp = `${this.logPath}.tmp`;
    const f = await open(tmp, 'w');
    try {
      await f.writeFile(kept);
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, this.logPath);
    await syncDirectory(this.dir);
    await handle.close();
    this.handle = await open(this.logPath, 'a+');
    this.offsets = this.offsets.slice(k).map((o) => o - from);
    this.firstIndex = Math.max(this.firstIndex, upTo + 1);
    this.size = kept.length;
  }

  private async readSnapshot(): Promise<LogSnapshot | null> {
    const buf = await readFile(this.snapshotPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (buf === null) return null;
    // Written whole and renamed into place, so one record of whatever size the registry has
    // grown to (no limit on its length); any damage here is real damage, not a torn write.
    const r = decodeRecordAt(buf, 0, buf.length);
    const snapshot = r.kind === 'record' && r.next === buf.length ? parseSnapshot(r.payload) : null;
    if (!snapshot) {
      throw new StoreCorruptError(this.snapshotPath, 0, 'not one whole snapshot record');
    }
    return snapshot;
  }

  private need(): FileHandle {
    if (!this.handle) throw new Error('raft log is closed');
    return this.handle;
  }
}
