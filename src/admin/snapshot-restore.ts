import { mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { HardStateFile } from '../election/hard-state-file';
import { RaftLogFile } from '../storage/raft-log-file';
import { syncDirectory } from '../storage/sync-directory';
import { decodeSnapshot, SnapshotError, type SnapshotHeader } from './snapshot-file';

/**
 * Builds a node's data directory from a snapshot file, offline (`rollcall snapshot restore`):
 * the registry becomes the log's snapshot at the file's index, committed, with no vote cast.
 * The file is verified first and the directory is written beside its place, then renamed in,
 * so a damaged file or a failure leaves nothing behind. The new cluster's members come from its
 * config.toml (`peers`), as for any new cluster: the snapshot carries no membership of its own.
 */
export async function restoreSnapshot(file: string, dataDir: string): Promise<SnapshotHeader> {
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new SnapshotError(`cannot read ${file}: ${err.code ?? err.message}`);
  });
  const { header, registry } = decodeSnapshot(bytes);
  const target = resolve(dataDir);
  await refuseNonEmpty(target);
  await mkdir(dirname(target), { recursive: true });
  const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.restoring-`));
  try {
    const log = new RaftLogFile(staging);
    await log.open();
    await log.saveSnapshot({ index: header.index, term: header.term, data: registry });
    await log.close();
    new HardStateFile(staging).save({ term: header.term, votedFor: null, commit: header.index });
    await rmdir(target).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rename(staging, target);
    await syncDirectory(dirname(target));
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  return header;
}

async function refuseNonEmpty(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw new SnapshotError(`cannot read ${dir}: ${err.code ?? err.message}`);
  });
  if (entries.length > 0) {
    throw new SnapshotError(
      `${dir} is not empty (${entries.length} entries): restore only into a new or empty data directory`,
    );
  }
}
