import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ElectionCore } from '../../../src/election/consensus';
import { HardStateFile } from '../../../src/election/hard-state-file';
import { SnapshotError } from '../../../src/admin/snapshot-file';
import { type RestoredMembers, restoreSnapshot } from '../../../src/admin/snapshot-restore';
import { RaftLogFile } from '../../../src/storage/raft-log-file';
import { makeTempDir } from '../../support/temp-dir';
import { coreOptions } from '../election/sim/core-fixture';
import { BACKED_UP, BACKUP_HEADER, writeBackup } from './snapshot-fixture';

const NEW = ['127.0.0.1:7102', '127.0.0.1:7100', '127.0.0.1:7101'];
const SORTED = [...NEW].sort();

async function openLog(dir: string) {
  const log = new RaftLogFile(dir);
  const opened = await log.open();
  await log.close();
  return opened;
}

describe('restoreSnapshot with the new members', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let file: string;
  beforeEach(() => {
    tmp = makeTempDir();
    file = join(tmp.dir, 'backup.ndjson');
    writeBackup(file);
  });
  afterEach(() => tmp.cleanup());

  it("writes them as the snapshot's membership, at its index, every one a voter", async () => {
    const dir = join(tmp.dir, 'data');
    const apiUrls = { [NEW[1]]: 'http://127.0.0.1:3100' };
    expect(await restoreSnapshot(file, dir, { thisNode: NEW[1], voters: NEW, apiUrls })).toEqual(
      BACKUP_HEADER,
    );
    expect(await openLog(dir)).toEqual({
      snapshot: {
        index: 42,
        term: 3,
        data: BACKED_UP,
        membership: { index: 42, voters: SORTED, learners: [], apiUrls },
      },
      entries: [],
    });
    // Nothing in the directory names this node or the old cluster: no vote, no old peers.
    expect(new HardStateFile(dir).load()).toEqual({ term: 3, votedFor: null, commit: 42 });
    expect(readdirSync(dir).sort()).toEqual(['election-state.json', 'raft.log', 'snapshot.json']);
  });

  it("a node started on it holds the restored voters, whatever its config.toml's peers", async () => {
    const dir = join(tmp.dir, 'data');
    await restoreSnapshot(file, dir, { thisNode: NEW[0], voters: NEW, apiUrls: {} });
    const { snapshot, entries } = await openLog(dir);
    const hardState = new HardStateFile(dir).load();
    // config.toml lists only the node itself: alone, it would lead a cluster of one.
    const core = new ElectionCore(
      coreOptions({ id: NEW[0], peers: [NEW[0]], initial: { hardState, snapshot, entries } }),
    );
    const status = core.status(0);
    expect(status.membership).toEqual({ index: 42, voters: SORTED, learners: [], apiUrls: {} });
    expect([status.selfRole, status.role, status.commit]).toEqual(['voter', 'follower', 42]);
    core.tick(10 * coreOptions().electionTimeoutMaxMs);
    // It asks the other restored voters for their votes, not nobody (nor the old cluster).
    const asked = core.ready().messages.map((m) => `${m.type} ${m.to}`);
    expect(asked.sort()).toEqual(
      NEW.slice(1)
        .map((p) => `PreVote ${p}`)
        .sort(),
    );
    // Started under another address, the node finds itself in no list: it never campaigns.
    const stranger = new ElectionCore(
      coreOptions({
        id: '127.0.0.1:7199',
        peers: ['127.0.0.1:7199'],
        initial: { hardState, snapshot, entries },
      }),
    );
    expect(stranger.status(0).selfRole).toBe('removed');
    stranger.tick(10 * coreOptions().electionTimeoutMaxMs);
    expect(stranger.ready().messages).toEqual([]);
  });

  it('refuses members that do not include this node, or repeat one, and writes nothing', async () => {
    const dir = join(tmp.dir, 'data');
    const refused: RestoredMembers[] = [
      { thisNode: '127.0.0.1:7199', voters: NEW, apiUrls: {} },
      { thisNode: NEW[0], voters: [NEW[0], NEW[0]], apiUrls: {} },
      { thisNode: NEW[0], voters: NEW, apiUrls: { '127.0.0.1:7199': 'http://127.0.0.1:1' } },
    ];
    for (const members of refused) {
      await expect(restoreSnapshot(file, dir, members)).rejects.toThrow(
        /^not a membership to restore: /,
      );
    }
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses to carry members in a snapshot at index 0 (no entry to carry them at)', async () => {
    writeBackup(file, { index: 0 });
    const members = { thisNode: NEW[0], voters: NEW, apiUrls: {} };
    await expect(restoreSnapshot(file, join(tmp.dir, 'd'), members)).rejects.toThrow(SnapshotError);
    expect(readdirSync(tmp.dir)).toEqual(['backup.ndjson']);
  });
});
