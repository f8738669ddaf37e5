import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState } from './leadership-state';
import { ReplicatedLog } from './replicated-log';
import { handOver } from './hand-over';

/**
 * A leader that shuts down names a successor and waits, briefly, to see it take over, so clients
 * see no gap. Before it asks, LeadershipState.handingOver lets the presence send its last words
 * on the same connection (see LeadershipPublisher.handingOver).
 */
@Injectable()
export class ShutdownHandover {
  private readonly logger = new Logger('Election');

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly leadership: LeadershipState,
    private readonly log: ReplicatedLog,
  ) {}

  async run(): Promise<void> {
    // From here on no leader-only request may succeed here, whatever the core decides: the
    // successor may serve within milliseconds, and our port is about to close.
    this.leadership.stopServing();
    const limitMs = Math.min(this.config.electionTimeoutMinMs, 1500);
    const { target, moved, tookMs } = await handOver(this.log, this.clock, {
      reason: 'shutdown',
      limitMs,
    });
    if (!target) return;
    if (moved) {
      this.logger.log(`handed leadership to ${this.log.status()?.leader} in ${tookMs} ms`);
    } else {
      this.logger.warn(`no successor took over within ${limitMs} ms; stopping anyway`);
    }
  }
}
