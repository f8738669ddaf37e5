import { mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isMembershipConfig, type MembershipConfig, type Snapshot } from '../election/consensus';
import { HardStateFile } from '../election/hard-state-file';
import { RaftLogFile } from '../storage/raft-log-file';
import { syncDirectory } from '../storage/sync-directory';
import { decodeSnapshot, SnapshotError, type SnapshotHeader } from './snapshot-file';

/**
 * The members a restored node's cluster is made of (`--this-node`, `--peers`): every one a
 * voter, `thisNode` among them. `apiUrls` may name some members' HTTP APIs, or none.
 */
export interface RestoredMembers {
  thisNode: string;
  voters: string[];
  apiUrls: Record<string, string>;
}

/**
 * Builds a node's data directory from a snapshot file, offline (`rollcall snapshot restore`):
 * the registry becomes the log's snapshot at the file's index, committed, with no vote cast.
 * The file is verified first and the directory is written beside its place, then renamed in,
 * so a damaged file or a failure leaves nothing behind.
 *
 * With `members`, the snapshot carries them as the membership in force at its index, so the
 * node starts with them whatever its config.toml says, as a node restarting on its log does.
 * Without, the new cluster's members are its config.toml's `peers`, as for any new cluster.
 * Either way the file's own membership (its header's `peers`) is not restored: it names the
 * old cluster's addresses, and a new node holding them would wait for voters that are gone.
 */
export async function restoreSnapshot(
  file: string,
  dataDir: string,
  members?: RestoredMembers,
): Promise<SnapshotHeader> {
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new SnapshotError(`cannot read ${file}: ${err.code ?? err.message}`);
  });
  const { header, registry } = decodeSnapshot(bytes);
  const snapshot: Snapshot = { index: header.index, term: header.term, data: registry };
  if (members) snapshot.membership = membershipAt(header.index, members);
  const target = resolve(dataDir);
  await refuseNonEmpty(target);
  await mkdir(dirname(target), { recursive: true });
  const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.restoring-`));
  try {
    const log = new RaftLogFile(staging);
    await log.open();
    await log.saveSnapshot(snapshot);
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

/**
 * The configuration the restored snapshot carries: set at the snapshot's own index, so a node
 * reports it as the log's (not config.toml's, which is index 0) and any later change follows it.
 */
function membershipAt(index: number, members: RestoredMembers): MembershipConfig {
  if (index < 1) {
    throw new SnapshotError(
      `the snapshot is at index ${index}: no log entry to carry the membership at`,
    );
  }
  const config: MembershipConfig = {
    index,
    voters: [...members.voters].sort(),
    learners: [],
    apiUrls: { ...members.apiUrls },
  };
  const named = Object.keys(config.apiUrls).every((node) => config.voters.includes(node));
  if (!isMembershipConfig(config) || !named || !config.voters.includes(members.thisNode)) {
    throw new SnapshotError(
      `not a membership to restore: ${members.thisNode} must be one of distinct voters [${members.voters.join(', ')}]`,
    );
  }
  return config;
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
