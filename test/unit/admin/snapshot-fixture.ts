import { writeFileSync } from 'node:fs';
import type { RegistrySnapshot } from '../../../src/clients/registry-state-machine';
import {
  encodeSnapshot,
  SNAPSHOT_FORMAT,
  type SnapshotHeader,
} from '../../../src/admin/snapshot-file';

/** Three users, one with a token hash, as an old cluster at old addresses backed them up. */
export const BACKED_UP: RegistrySnapshot = {
  users: ['alice', 'bob', 'carol'].map((username, i) => ({
    user_id: `id-${username}`,
    username,
    addr: `10.0.0.${i + 1}:9000`,
    registered_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  })),
  drive_imported: false,
  token_hashes: { alice: 'a'.repeat(64) },
  reserved: [],
};

/** The header of that backup: its membership is the old cluster's, at 10.9.9.x. */
export const BACKUP_HEADER: SnapshotHeader = {
  format: SNAPSHOT_FORMAT,
  index: 42,
  term: 3,
  taken_at: '2026-01-01T00:00:00.000Z',
  taken_on: '10.9.9.1:8080',
  peers: ['10.9.9.1:8080', '10.9.9.2:8080', '10.9.9.3:8080'],
  learners: [],
  users: BACKED_UP.users.length,
};

/** Writes that backup to `file`, as `rollcall snapshot save` would; `header` overrides. */
export function writeBackup(file: string, header: Partial<SnapshotHeader> = {}): void {
  const content = { header: { ...BACKUP_HEADER, ...header }, registry: BACKED_UP };
  writeFileSync(file, Buffer.concat([...encodeSnapshot(content)]));
}
