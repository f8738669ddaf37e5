import { googleError } from './google-errors';
import type { Reply } from './http-reply';

export type FaultStatus = 403 | 429 | 500 | 503;
export type FaultTarget = 'api' | 'token' | 'both';

export interface FailOptions {
  status: FaultStatus;
  retryAfterSeconds?: number;
  /** Drive reports rate limits as 403 or 429 with either reason; pick what the test needs. */
  reason?: 'rateLimitExceeded' | 'userRateLimitExceeded' | 'backendError';
}

/** What the dispatcher must do with one request before (and after) handling it. */
export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'reset' }
  | { kind: 'reply'; reply: Reply }
  | { kind: 'drop-after-handling' };

export class FaultPlan {
  target: FaultTarget = 'api';
  latencyMs = 0;
  private outageMode: 'off' | '503' | 'reset' = 'off';
  private failures: FailOptions[] = [];
  /** Pending drops, each limited to one HTTP method or to any request. */
  private drops: (string | null)[] = [];

  failNext(n: number, options: FailOptions): void {
    for (let i = 0; i < n; i++) this.failures.push(options);
  }

  outage(on: boolean, mode: '503' | 'reset'): void {
    this.outageMode = on ? mode : 'off';
  }

  dropResponseOfNext(n: number, method: string | null): void {
    for (let i = 0; i < n; i++) this.drops.push(method);
  }

  reset(): void {
    this.latencyMs = 0;
    this.outageMode = 'off';
    this.failures = [];
    this.drops = [];
    this.target = 'api';
  }

  applies(isTokenRequest: boolean): boolean {
    return this.target === 'both' || (this.target === 'token') === isTokenRequest;
  }

  /** Consumes at most one queued fault; only call for requests `applies` selected. */
  decide(method: string): FaultDecision {
    if (this.outageMode === 'reset') return { kind: 'reset' };
    if (this.outageMode === '503') {
      return { kind: 'reply', reply: failureReply({ status: 503 }) };
    }
    const failure = this.failures.shift();
    if (failure) return { kind: 'reply', reply: failureReply(failure) };
    const drop = this.drops[0];
    if (drop !== undefined && (drop === null || drop === method)) {
      this.drops.shift();
      return { kind: 'drop-after-handling' };
    }
    return { kind: 'none' };
  }
}

const MESSAGES: Record<string, string> = {
  rateLimitExceeded: 'Rate Limit Exceeded',
  userRateLimitExceeded: 'User Rate Limit Exceeded',
  backendError: 'Internal Error',
};

function failureReply(options: FailOptions): Reply {
  const reason =
    options.reason ??
    (options.status === 429 || options.status === 403 ? 'rateLimitExceeded' : 'backendError');
  const headers: Record<string, string> =
    options.retryAfterSeconds === undefined
      ? {}
      : { 'retry-after': String(options.retryAfterSeconds) };
  return googleError(options.status, { reason, message: MESSAGES[reason] }, headers);
}
