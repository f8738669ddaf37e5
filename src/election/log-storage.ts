import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import type { ElectionCore } from './consensus/election-core';
import type { InitialState } from './consensus/core-options';
import type { Ready } from './consensus/core-output';
import {
  DURABLE_LOG,
  type DurableLog,
  HARD_STATE_STORE,
  type HardStateStore,
  type StateMachine,
} from './election-io';
import { HardStateWriter } from './hard-state-writer';
import { isMembershipConfig } from './consensus/membership';

/**
 * What the replicated log keeps on disk: the hard state, the entries and the latest snapshot,
 * which it takes every `snapshot_every` applied entries.
 */
@Injectable()
export class LogStorage {
  private readonly logger = new Logger('Election');
  private readonly hardState: HardStateWriter;
  private lastSnapshotIndex = 0;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) clock: Clock,
    @Inject(HARD_STATE_STORE) private readonly store: HardStateStore,
    @Inject(DURABLE_LOG) private readonly log: DurableLog,
  ) {
    this.hardState = new HardStateWriter(store, clock, this.logger);
  }

  /** Reads everything back, loading the snapshot into `machine`: the core's initial state. */
  async open(machine: StateMachine | null): Promise<Required<InitialState>> {
    const hardState = this.store.load();
    const { snapshot, entries } = await this.log.open();
    if (snapshot?.membership !== undefined && !isMembershipConfig(snapshot.membership)) {
      throw new Error('the snapshot on disk holds a malformed membership');
    }
    if (snapshot) {
      machine?.restore(snapshot.index, snapshot.data);
      this.lastSnapshotIndex = snapshot.index;
    }
    return { hardState, entries, snapshot };
  }

  /** Steps 1-3 of the Ready contract (see Ready); throws when anything could not be written. */
  async persist(ready: Ready, machine: StateMachine | null): Promise<void> {
    if (ready.snapshot) {
      await this.log.installSnapshot(ready.snapshot);
      machine?.restore(ready.snapshot.index, ready.snapshot.data);
      this.lastSnapshotIndex = ready.snapshot.index;
    }
    if (ready.entries.length > 0 || ready.truncateFrom !== undefined) {
      await this.log.append(ready.entries, ready.truncateFrom);
    }
    if (ready.hardState) this.hardState.save(ready.hardState);
  }

  /** After applying up to `last`: snapshots when enough entries have gone by since the last. */
  async snapshotAfter(
    last: { index: number; term: number },
    core: ElectionCore,
    machine: StateMachine,
  ): Promise<void> {
    if (last.index - this.lastSnapshotIndex < this.config.snapshotEvery) return;
    const data = machine.snapshot();
    // The core's snapshot carries the membership in force at its index, beside the registry.
    const snapshot = core.compact(last.index, data);
    if (snapshot === null) return;
    try {
      await this.log.saveSnapshot(snapshot);
    } catch (err) {
      // The log on disk still holds every entry, so nothing is lost; the next try waits for
      // another snapshot_every entries rather than rewrite the registry on every pass.
      this.lastSnapshotIndex = last.index;
      this.logger.warn(
        `snapshot at index ${last.index} not written (${(err as Error).message}); the log keeps every entry, retrying after ${this.config.snapshotEvery} more`,
      );
      return;
    }
    this.lastSnapshotIndex = last.index;
    this.logger.log(`snapshot at index ${last.index}; log compacted`);
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
