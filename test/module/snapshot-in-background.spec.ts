import request from 'supertest';
import { ClientsModule } from '../../src/clients/clients.module';
import type { Snapshot } from '../../src/election/consensus/core-options';
import { LeadershipState } from '../../src/election/leadership-state';
import { waitFor } from '../support/poll';
import { MemoryLog } from './support/fake-io';
import { type ModuleApp, startModuleApp } from './support/module-app';

const SNAPSHOT_EVERY = 5;

/** A log whose snapshot writes stay unfinished until the test lets them end: a slow disk. */
class SlowSnapshotLog extends MemoryLog {
  readonly started: Snapshot[] = [];
  private finish: (() => void)[] = [];

  override saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.started.push(snapshot);
    return new Promise<void>((resolve) => this.finish.push(resolve)).then(() =>
      super.saveSnapshot(snapshot),
    );
  }

  finishSnapshots(): void {
    for (const f of this.finish.splice(0)) f();
  }
}

/**
 * A registry snapshot of a large cluster takes a while to write (megabytes, then fsync and a
 * log rewrite). The replicated log must go on persisting, sending and applying meanwhile: a
 * loop held by the write stops sending AppendEntries, and the leader's lease lapses (CI saw
 * registrations answered 503 during one).
 */
describe('a snapshot being written', () => {
  let node: ModuleApp;
  let log: SlowSnapshotLog;
  beforeEach(async () => {
    log = new SlowSnapshotLog();
    node = await startModuleApp({
      modules: [ClientsModule],
      file: { extra: `snapshot_every = ${SNAPSHOT_EVERY}` },
      log,
    });
    const leadership = node.app.get(LeadershipState);
    await waitFor('the node to lead', () => leadership.canServeAsLeader());
  });
  afterEach(async () => {
    log.finishSnapshots();
    await node.close();
  });

  const register = (username: string) =>
    request(node.http).post('/register').send({ username, addr: '127.0.0.1:9000' });

  it('holds up no registration, and a second snapshot waits for the first', async () => {
    for (let i = 0; i < SNAPSHOT_EVERY; i++) await register(`user${i}`).expect(200);
    await waitFor('a snapshot to start', () => log.started.length === 1);

    // Twice snapshot_every more while the first is still being written: each one answered.
    for (let i = SNAPSHOT_EVERY; i < 3 * SNAPSHOT_EVERY; i++) {
      await register(`user${i}`).expect(200);
    }
    expect(log.started).toHaveLength(1);

    log.finishSnapshots();
    await register('one-more').expect(200);
    await waitFor('the next snapshot to start', () => log.started.length === 2);
    expect(log.started[1].index).toBeGreaterThan(log.started[0].index);
  });
});
