import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  getOptionsToken,
  getStorageToken,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { LeadershipState } from '../election/leadership-state';
import { TooManyRegistrationsError } from './client-errors';
import { REGISTER_LIMIT } from './register-limit';

/**
 * A per-address limit on the routes marked @RegisterLimit() (POST /register only): registrations
 * are rare for an honest client and each one is a durable log entry, while heartbeats must never
 * be throttled. Counted per address and route in this node's memory, so a new leader starts
 * with fresh counts.
 */
@Injectable()
export class RegisterThrottleGuard extends ThrottlerGuard {
  private readonly limitedHandlers = new WeakMap<object, boolean>();

  constructor(
    @Inject(getOptionsToken()) options: ThrottlerModuleOptions,
    @Inject(getStorageToken()) storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    private readonly leadership: LeadershipState,
  ) {
    super(options, storage, reflector);
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    // Only a serving leader counts: a follower's 403 or an election's 503 is not a registration.
    return Promise.resolve(
      this.config.registerLimit === 0 ||
        !this.isLimited(context) ||
        !this.leadership.canServeAsLeader(),
    );
  }

  /**
   * Whether the route carries @RegisterLimit(), remembered per handler: metadata is fixed once
   * the app is built, and reading it through the Reflector on every heartbeat cost more than
   * the rest of this guard.
   */
  private isLimited(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let limited = this.limitedHandlers.get(handler);
    if (limited === undefined) {
      limited =
        this.reflector.getAllAndOverride<boolean | undefined>(REGISTER_LIMIT, [
          handler,
          context.getClass(),
        ]) === true;
      this.limitedHandlers.set(handler, limited);
    }
    return limited;
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new TooManyRegistrationsError(
      this.config.registerLimit,
      this.config.registerWindowMs,
      Math.max(1, Math.ceil(detail.timeToBlockExpire)),
    );
  }
}
