import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { RouteError } from '../common/http/route-error';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState } from './leadership-state';
import { ReplicatedLog } from './replicated-log';
import { handOver } from './hand-over';

/** What POST /cluster/leader/transfer answers once another node leads. */
export interface TransferResult {
  success: true;
  message: string;
  previous_leader: string;
  current_leader: string;
  leader_api: string | null;
  term: number;
}

/** The transfer cannot start: nobody (or not the node named) can take over now. */
export class TransferRefusedError extends RouteError {
  readonly status: number;
  constructor(status: 400 | 409, message: string) {
    super(message);
    this.name = 'TransferRefusedError';
    this.status = status;
  }
}

/** The successor was asked but did not win in time: this node leads again. */
export class TransferTimedOutError extends RouteError {
  readonly status = 503;
  override readonly retryAfterSeconds = 1;
  constructor(target: string, ms: number) {
    super(`${target} did not take over within ${ms} ms; leadership stays where it was`);
    this.name = 'TransferTimedOutError';
  }
}

/**
 * An operator's leader transfer (`rollcall leader transfer`): the same TimeoutNow handover a
 * leader uses at shutdown (see ShutdownHandover), to a named follower or the best one, and an
 * answer only once the successor leads, so a script can go on with maintenance of this node.
 */
@Injectable()
export class LeaderTransfer {
  private readonly logger = new Logger('Election');

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly leadership: LeadershipState,
    private readonly log: ReplicatedLog,
  ) {}

  async run(to?: string): Promise<TransferResult> {
    const self = this.config.thisNode;
    if (to !== undefined) this.checkTarget(to);
    const limitMs = this.config.electionTimeoutMinMs;
    const { target, moved, tookMs } = await handOver(this.log, this.clock, {
      reason: 'operator',
      limitMs,
      to,
    });
    if (!target) {
      throw new TransferRefusedError(
        409,
        to === undefined
          ? 'No follower can take over now: none is up to date and heard from recently (or a transfer is already under way)'
          : `${to} cannot take over now: it is not up to date or not heard from recently (or a transfer is already under way)`,
      );
    }
    this.logger.log(`operator asked for a leader transfer: handed over to ${target}`);
    if (!moved) throw new TransferTimedOutError(target, limitMs);
    const { leader, leaderApi, term } = this.leadership.current;
    const now = leader ?? target;
    return {
      success: true,
      message: `Leadership moved from ${self} to ${now} in ${tookMs} ms`,
      previous_leader: self,
      current_leader: now,
      leader_api: leaderApi,
      term,
    };
  }

  private checkTarget(to: string): void {
    const self = this.config.thisNode;
    if (to === self) throw new TransferRefusedError(409, `${to} is already the leader`);
    const membership = this.log.membership();
    const voters = membership?.voters ?? this.config.peers;
    if (membership?.learners.includes(to)) {
      throw new TransferRefusedError(
        400,
        `to: ${to} is a learner: only a voter can lead (promote it first)`,
      );
    }
    if (!voters.includes(to)) {
      throw new TransferRefusedError(
        400,
        `to: ${to} is not a member (members: ${voters.join(', ')})`,
      );
    }
  }
}
