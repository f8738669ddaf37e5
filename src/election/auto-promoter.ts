import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CLOCK, type Clock } from '../common/clock';
import { startNamedInterval, stopNamedInterval } from '../common/named-interval';
import { LeaseNotHeldError } from '../common/http/leadership-errors';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { learnerDueForPromotion } from './auto-promotion';
import { ReplicatedLog } from './replicated-log';

/** The SchedulerRegistry name of the interval that looks for learners to promote. */
export const AUTO_PROMOTE_INTERVAL = 'membership-auto-promote';

/**
 * `auto_promote = true`: the leader promotes a learner once it has been caught up (within 10
 * entries) and reachable for 3 s, through the same change and checks as
 * `rollcall members promote`. Off by default: an operator usually wants to choose the moment.
 */
@Injectable()
export class AutoPromoter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Membership');
  private readonly stableSince = new Map<string, number>();
  private promoting = false;

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly log: ReplicatedLog,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.autoPromote) return;
    startNamedInterval(this.scheduler, AUTO_PROMOTE_INTERVAL, this.config.heartbeatIntervalMs, () =>
      this.check(),
    );
  }

  onModuleDestroy(): void {
    stopNamedInterval(this.scheduler, AUTO_PROMOTE_INTERVAL);
  }

  private check(): void {
    const status = this.log.status();
    if (this.promoting || status === null) return;
    const now = this.clock.monotonicMs();
    const node = learnerDueForPromotion(
      status,
      this.stableSince,
      now,
      this.config.electionTimeoutMinMs,
    );
    if (node === null) return;
    this.promoting = true;
    // Said before the outcome is known: a leader that loses the lead before the change commits
    // never learns whether its successor committed it, and this line is then all it has to say.
    this.logger.log(`auto_promote: promoting ${node} (caught up and reachable for 3 s)`);
    this.log
      .changeMembership({ kind: 'promote', node })
      .then(() => this.logger.log(`auto_promote: promoted ${node}`))
      .catch((err: Error) => this.reportNotPromoted(node, err))
      .finally(() => {
        this.promoting = false;
        this.stableSince.delete(node);
      });
  }

  private reportNotPromoted(node: string, err: Error): void {
    if (err instanceof LeaseNotHeldError) {
      this.logger.warn(
        `auto_promote: lost the lead before promoting ${node} was known to commit; the next leader commits it or promotes it afresh (see rollcall members list)`,
      );
      return;
    }
    this.logger.debug(`auto_promote: ${node} not promoted yet: ${err.message}`);
  }
}
