import { LeaseNotHeldError } from '../common/http/leadership-errors';
import { RouteError } from '../common/http/route-error';
import type { ChangeRefusal } from './consensus/membership-guard';

/** Why a membership change is refused, as GET/POST /cluster/members answer it (`reason`). */
export type RefusalReason = 'in-flight' | 'behind' | 'unsafe' | 'invalid';

/** A change the cluster will not make as asked: 409, with a `reason` and a message saying why. */
export class MembershipConflictError extends RouteError {
  readonly status = 409;
  override readonly bodyFields: Record<string, unknown>;
  constructor(reason: RefusalReason, message: string, behind?: number) {
    super(message);
    this.name = 'MembershipConflictError';
    this.bodyFields = behind === undefined ? { reason } : { reason, behind };
  }
}

/** The member named is not in the configuration: 404. */
export class UnknownMemberError extends RouteError {
  readonly status = 404;
  override readonly bodyFields = { reason: 'unknown' };
  constructor(message: string) {
    super(message);
    this.name = 'UnknownMemberError';
  }
}

/** A new leader has not committed an entry of its own term: changes wait for it (503). */
export class NoOwnTermCommitError extends RouteError {
  readonly status = 503;
  override readonly retryAfterSeconds = 1;
  override readonly bodyFields = { reason: 'no-own-term-commit' };
  constructor(message: string) {
    super(`This leader cannot change the membership yet: ${message}`);
    this.name = 'NoOwnTermCommitError';
  }
}

/** The route's answer to a refusal of the core (a removal of the leader is handled before). */
export function refusalError(refusal: ChangeRefusal): RouteError {
  switch (refusal.reason) {
    case 'not-leader':
    case 'leader':
      return new LeaseNotHeldError();
    case 'no-own-term-commit':
      return new NoOwnTermCommitError(refusal.message);
    case 'unknown':
      return new UnknownMemberError(refusal.message);
    case 'behind':
      return new MembershipConflictError('behind', refusal.message, refusal.behind);
    default:
      return new MembershipConflictError(refusal.reason, refusal.message);
  }
}
