import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState } from './leadership-state';
import { ReplicatedLog } from './replicated-log';
import { waitUntil } from './wait-until';

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
    const started = this.clock.monotonicMs();
    const target = this.log.transferLeadership('shutdown');
    if (!target) return;
    const limit = Math.min(this.config.electionTimeoutMinMs, 1500);
    const handedOver = await waitUntil(
      this.clock,
      () => {
        const s = this.log.status();
        return s !== null && s.role !== 'leader' && s.leader !== null;
      },
      limit,
    );
    const took = Math.round(this.clock.monotonicMs() - started);
    if (handedOver) {
      this.logger.log(`handed leadership to ${this.log.status()?.leader} in ${took} ms`);
    } else {
      this.logger.warn(`no successor took over within ${limit} ms; stopping anyway`);
    }
  }
}
