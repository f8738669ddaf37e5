import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { HardStateStore } from './election-io';

export interface PersistedHardState {
  term: number;
  votedFor: string | null;
  /** Highest log index known committed; 0 when unknown. */
  commit?: number;
}

/**
 * Raft's hard state (term, vote and commit index) in DATA_DIR/election-state.json, the file's
 * name since before the log (kept, so a node upgraded in place finds its vote). Written synchronously and fsynced,
 * then renamed over the old copy, so a vote is on disk before it is sent and a crash mid-write
 * leaves the previous state intact.
 */
export class HardStateFile implements HardStateStore {
  private readonly file: string;

  constructor(private readonly dir: string) {
    this.file = join(dir, 'election-state.json');
  }

  load(): Required<PersistedHardState> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { term: 0, votedFor: null, commit: 0 };
      throw err;
    }
    const v = JSON.parse(text) as Partial<PersistedHardState>;
    if (typeof v.term !== 'number' || !(typeof v.votedFor === 'string' || v.votedFor === null)) {
      throw new Error(`${this.file}: not an election state: ${text.slice(0, 100)}`);
    }
    // Files from before the log have no commit index: nothing was committed then.
    const commit = typeof v.commit === 'number' && v.commit >= 0 ? v.commit : 0;
    return { term: v.term, votedFor: v.votedFor, commit };
  }

  save(state: PersistedHardState): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}
