import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistrySnapshot } from '../../../src/clients/registry-state-machine';
import { HardStateFile } from '../../../src/election/hard-state-file';
import {
  decodeSnapshot,
  encodeSnapshot,
  SNAPSHOT_FORMAT,
  SnapshotError,
  type SnapshotHeader,
} from '../../../src/admin/snapshot-file';
import { restoreSnapshot } from '../../../src/admin/snapshot-restore';
import { RaftLogFile } from '../../../src/storage/raft-log-file';
import { makeTempDir } from '../../support/temp-dir';

const user = (n: number) => ({
  user_id: `id-${n}`,
  username: `user${n}`,
  addr: `10.0.0.${n % 250}:9000`,
  registered_at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
});

/** More users than fit one chunk, a token hash, a reserved name and the import marker. */
const REGISTRY: RegistrySnapshot = {
  users: Array.from({ length: 1203 }, (_, i) => user(i)),
  drive_imported: true,
  token_hashes: { user0: 'a'.repeat(64), user1000: 'b'.repeat(64) },
  reserved: [{ username: 'held', file: 'held.json', why: 'not JSON' }],
};
const HEADER: SnapshotHeader = {
  format: SNAPSHOT_FORMAT,
  index: 1250,
  term: 4,
  taken_at: '2026-01-01T00:00:00.000Z',
  taken_on: '127.0.0.1:8080',
  peers: ['127.0.0.1:8080', '127.0.0.1:8081'],
  users: REGISTRY.users.length,
};
const fileBytes = () => Buffer.concat([...encodeSnapshot({ header: HEADER, registry: REGISTRY })]);

describe('the snapshot file', () => {
  it('reads back exactly what was written', () => {
    expect(decodeSnapshot(fileBytes())).toEqual({ header: HEADER, registry: REGISTRY });
  });

  it('refuses any changed byte, saying the checksum does not match', () => {
    const bytes = fileBytes();
    bytes[bytes.indexOf('user7')] = 'U'.charCodeAt(0);
    expect(() => decodeSnapshot(bytes)).toThrow(/^checksum mismatch .*the file is damaged$/);
  });

  it('refuses a truncated file and one that is not a snapshot', () => {
    const bytes = fileBytes();
    expect(() => decodeSnapshot(bytes.subarray(0, bytes.length - 10))).toThrow(
      /no checksum line at the end/,
    );
    expect(() => decodeSnapshot(Buffer.from('{"users":[]}\n'))).toThrow(SnapshotError);
    expect(() => decodeSnapshot(Buffer.alloc(0))).toThrow(/no checksum line/);
  });

  it('refuses a well-checksummed file of another format', () => {
    const other = {
      header: { ...HEADER, format: 'something-else/1' as typeof SNAPSHOT_FORMAT },
      registry: REGISTRY,
    };
    expect(() => decodeSnapshot(Buffer.concat([...encodeSnapshot(other)]))).toThrow(
      `not a ${SNAPSHOT_FORMAT} file`,
    );
  });
});

describe('restoreSnapshot', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let file: string;
  beforeEach(() => {
    tmp = makeTempDir();
    file = join(tmp.dir, 'backup.ndjson');
    writeFileSync(file, fileBytes());
  });
  afterEach(() => tmp.cleanup());

  it('writes a data directory the node opens at the snapshot, committed, with no vote', async () => {
    const dir = join(tmp.dir, 'nested', 'data');
    expect(await restoreSnapshot(file, dir)).toEqual(HEADER);
    const log = new RaftLogFile(dir);
    const opened = await log.open();
    await log.close();
    expect(opened).toEqual({ snapshot: { index: 1250, term: 4, data: REGISTRY }, entries: [] });
    expect(new HardStateFile(dir).load()).toEqual({ term: 4, votedFor: null, commit: 1250 });
    // Nothing left beside it from the staging.
    expect(readdirSync(join(tmp.dir, 'nested'))).toEqual(['data']);
  });

  it('restores into an empty directory, and refuses one with anything in it', async () => {
    const dir = join(tmp.dir, 'data');
    await restoreSnapshot(file, dir);
    await expect(restoreSnapshot(file, dir)).rejects.toThrow(
      /is not empty .*new or empty data directory/,
    );
  });

  it('writes nothing for a damaged file', async () => {
    const bytes = fileBytes();
    bytes[bytes.length - 5] ^= 1;
    writeFileSync(file, bytes);
    const dir = join(tmp.dir, 'data');
    await expect(restoreSnapshot(file, dir)).rejects.toThrow(SnapshotError);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(tmp.dir)).toEqual(['backup.ndjson']);
  });

  it('says so when the file cannot be read', async () => {
    await expect(restoreSnapshot(join(tmp.dir, 'missing'), join(tmp.dir, 'd'))).rejects.toThrow(
      /cannot read .*missing: ENOENT/,
    );
  });
});
