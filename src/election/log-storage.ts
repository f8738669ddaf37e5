import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import type { ElectionCore } from './consensus/election-core';
import type { InitialState, Snapshot } from './consensus/core-options';
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
  /** The snapshot being written in the background, if any. */
  private snapshotting: Promise<void> | null = null;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
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

  /**
   * After applying up to `last`: takes a snapshot when enough entries have gone by since the
   * last one. The state machine's image is cut now, in one synchronous step; writing it (a
   * large registry is megabytes, then fsyncs and a log rewrite) goes on in the background, so
   * the replicated log keeps persisting, sending and applying meanwhile. One at a time.
   */
  snapshotAfter(
    last: { index: number; term: number },
    core: ElectionCore,
    machine: StateMachine,
  ): void {
    if (this.snapshotting) return;
    if (last.index - this.lastSnapshotIndex < this.config.snapshotEvery) return;
    const data = machine.snapshot();
    // The core's snapshot carries the membership in force at its index, beside the registry.
    const snapshot = core.compact(last.index, data);
    if (snapshot === null) return;
    this.snapshotting = this.saveSnapshot(snapshot).finally(() => (this.snapshotting = null));
  }

  private async saveSnapshot(snapshot: Snapshot): Promise<void> {
    const started = this.clock.monotonicMs();
    try {
      await this.log.saveSnapshot(snapshot);
    } catch (err) {
      // The log on disk still holds every entry, so nothing is lost; the next try waits for
      // another snapshot_every entries rather than rewrite the registry on every pass.
      this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, snapshot.index);
      this.logger.warn(
        `snapshot at index ${snapshot.index} not written (${(err as Error).message}); the log keeps every entry, retrying after ${this.config.snapshotEvery} more`,
      );
      return;
    }
    this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, snapshot.index);
    const ms = Math.round(this.clock.monotonicMs() - started);
    this.logger.log(`snapshot at index ${snapshot.index} written in ${ms} ms; log compacted`);
  }

  /** Closes the files once a snapshot being written is done. */
  async close(): Promise<void> {
    await this.snapshotting;
    return this.log.close();
  }
}
