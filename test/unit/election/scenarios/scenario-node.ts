import type {
  ElectionCore,
  Entry,
  HardState,
  NodeId,
  NodeLoad,
  Ready,
  Snapshot,
} from './core-glue';
import { applyKey } from '../sim/sim-cluster';

/** What survives a crash: written only while a Ready is handled, before its messages leave. */
export interface ScenarioDisk {
  hardState: Required<HardState>;
  snapshot: Snapshot | null;
  entries: Entry[];
}

/**
 * One member: its core while it runs, its disk, and its state machine (volatile, rebuilt on
 * restart from the disk's snapshot and the entries the core hands out again).
 */
export class ScenarioNode {
  core: ElectionCore | null = null;
  disk: ScenarioDisk = {
    hardState: { term: 0, votedFor: null, commit: 0 },
    snapshot: null,
    entries: [],
  };
  /** applyKey of each applied entry, index i at [i - 1]; a snapshot's data is this list. */
  stateMachine: string[] = [];
  load: NodeLoad = { machine: 0, background: 0 };
  /**
   * A machine added after the bootstrap (`new-node`): not in the bootstrap peers, it follows
   * whoever leads and learns its place in the membership from the log, as --join does.
   */
  joining = false;
  /** Until when the lease this node last claimed runs; null while it claims none. */
  leaseUntil: number | null = null;

  constructor(
    readonly id: NodeId,
    readonly random: () => number,
  ) {}

  /** Ready steps 1-3, as the driver does them: snapshot, truncation, entries, hard state. */
  persist(ready: Ready): void {
    const disk = this.disk;
    if (ready.snapshot !== null) {
      disk.snapshot = ready.snapshot;
      disk.entries = [];
      this.stateMachine = [...(ready.snapshot.data as string[])];
    }
    if (ready.truncateFrom !== undefined) {
      const from = ready.truncateFrom;
      disk.entries = disk.entries.filter((e) => e.index < from);
    }
    for (const e of ready.entries) disk.entries.push({ ...e });
    if (ready.hardState !== null) disk.hardState = { ...ready.hardState };
  }

  /** Ready step 5: the state machine records every committed entry, no-ops included. */
  apply(committed: readonly Entry[]): void {
    for (const e of committed) this.stateMachine[e.index - 1] = applyKey(e);
  }

  /** The state machine's image up to `index`, for a snapshot; null when not applied that far. */
  imageUpTo(index: number): string[] | null {
    return index <= this.stateMachine.length ? this.stateMachine.slice(0, index) : null;
  }

  /** After the core compacted up to `index`, the disk keeps the snapshot instead of the entries. */
  compactDisk(snapshot: Snapshot): void {
    this.disk.snapshot = snapshot;
    this.disk.entries = this.disk.entries.filter((e) => e.index > snapshot.index);
  }

  /** The persisted log, oldest first, for a node that is down. */
  diskLog(): { snapshot: Snapshot | null; entries: Entry[] } {
    return { snapshot: this.disk.snapshot, entries: this.disk.entries };
  }
}
