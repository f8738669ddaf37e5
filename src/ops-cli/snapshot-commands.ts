import { createWriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodeSnapshot } from '../admin/snapshot-file';
import { type RestoredMembers, restoreSnapshot } from '../admin/snapshot-restore';
import { adminOf, type CliIo, type ClusterOptions } from './cli-io';
import { restoredMembersOf } from './restore-peers';

/**
 * `rollcall snapshot save FILE`: streams the leader's snapshot into FILE.partial, checks it
 * whole (checksum and every line), then renames it to FILE, so FILE is only ever a good snapshot.
 */
export async function saveSnapshot(file: string, opts: ClusterOptions, io: CliIo): Promise<number> {
  const admin = adminOf(opts, io);
  const body = await admin.snapshot();
  const partial = `${file}.partial`;
  try {
    await pipeline(Readable.fromWeb(body), createWriteStream(partial));
    const { header } = decodeSnapshot(await readFile(partial));
    await rename(partial, file);
    const what = `${header.users} users at index ${header.index} (term ${header.term}) from ${header.taken_on}`;
    io.out(opts.json ? JSON.stringify({ file, ...header }) + '\n' : `saved ${what} to ${file}\n`);
    return 0;
  } finally {
    await rm(partial, { force: true });
  }
}

/**
 * `rollcall snapshot restore FILE --data-dir DIR [--this-node ADDR --peers ADDR,...]`: offline,
 * no cluster involved. The command line is checked before the file is read.
 */
export async function restoreSnapshotCommand(
  file: string,
  dataDir: string,
  opts: { json?: boolean; thisNode?: string; peers?: string },
  io: CliIo,
): Promise<number> {
  const members = restoredMembersOf(opts);
  const header = await restoreSnapshot(file, dataDir, members);
  const membership =
    members === undefined
      ? null
      : {
          this_node: members.thisNode,
          voters: [...members.voters].sort(),
          api_urls: members.apiUrls,
          config_index: header.index,
        };
  io.out(
    opts.json
      ? JSON.stringify({ data_dir: dataDir, ...header, membership }) + '\n'
      : `restored ${header.users} users at index ${header.index} (term ${header.term}) into ${dataDir}; ${startHint(dataDir, members)}\n`,
  );
  return 0;
}

function startHint(dataDir: string, members: RestoredMembers | undefined): string {
  if (members === undefined) {
    return `start a node on it with DATA_DIR=${dataDir} (its members: config.toml's peers)`;
  }
  return `voters ${[...members.voters].sort().join(', ')}; start ${members.thisNode} on it with DATA_DIR=${dataDir} --this-node ${members.thisNode}`;
}
