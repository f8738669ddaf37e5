import type { Logger } from '@nestjs/common';
import type { Clock } from '../common/clock';
import type { HardState } from './consensus/core-options';
import type { HardStateStore } from './election-io';

/** How often a commit-index-only change of the hard state is written. */
const COMMIT_SAVE_INTERVAL_MS = 1000;

/**
 * Writes Raft's hard state. Term and vote are saved at once, before anything depends on them,
 * and failing that throws (the driver then stops). The commit index alone is saved at most once
 * a second: it only tells a restarted node how much to re-apply before the leader tells it
 * again, and the log holds every entry anyway. Saving it on every commit cost the leader a
 * blocking fsync per batch; failing to write it (disk full, read-only) is said once and tried
 * again later.
 */
export class HardStateWriter {
  private lastSaved: { term: number; votedFor: string | null } | null = null;
  private lastSavedAt = 0;
  private commitSaveFailing = false;

  constructor(
    private readonly store: HardStateStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  save(hs: HardState): void {
    const last = this.lastSaved;
    const voteChanged = !last || hs.term !== last.term || hs.votedFor !== last.votedFor;
    if (!this.due(hs)) return;
    try {
      this.store.save(hs);
      this.commitSaveFailing = false;
    } catch (err) {
      if (voteChanged) throw err;
      if (!this.commitSaveFailing) {
        this.logger.warn(
          `commit index ${hs.commit ?? 0} not saved (${(err as Error).message}); the log still holds every entry, trying again later`,
        );
      }
      this.commitSaveFailing = true;
    }
  }

  private due(hs: HardState): boolean {
    const now = this.clock.monotonicMs();
    const last = this.lastSaved;
    const due =
      !last ||
      hs.term !== last.term ||
      hs.votedFor !== last.votedFor ||
      now - this.lastSavedAt >= COMMIT_SAVE_INTERVAL_MS;
    if (due) {
      this.lastSaved = { term: hs.term, votedFor: hs.votedFor };
      this.lastSavedAt = now;
    }
    return due;
  }
}
