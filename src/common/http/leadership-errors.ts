import { RouteError } from './route-error';

/** What a leader-only route answers while this node cannot name a leader that serves. */
const NO_LEADER_FIELDS = { current_leader: null, leader_api: null };

/**
 * This node is a follower and the leader is elsewhere, at an address it knows: the route answers
 * 403 naming it. (The SDK's NotLeaderError is the client seeing such answers loop.)
 */
export class LeaderElsewhereError extends RouteError {
  readonly status = 403;
  override readonly bodyFields: Record<string, unknown>;
  constructor(
    readonly leader: string,
    readonly leaderApi: string | null,
  ) {
    super(`This node is not the leader. Current leader: ${leader}`);
    this.name = 'LeaderElsewhereError';
    this.bodyFields = { current_leader: leader, leader_api: leaderApi };
  }
}

/** No leader is known: an election is under way. */
export class NoLeaderError extends RouteError {
  readonly status = 503;
  /** Seconds a client should wait before asking again. */
  override readonly retryAfterSeconds = 1;
  override readonly bodyFields = NO_LEADER_FIELDS;
  constructor() {
    super(
      'This node is not the leader and no leader is known yet: an election is under way. Retry shortly.',
    );
    this.name = 'NoLeaderError';
  }
}

/** This node won the election but a majority has not yet acknowledged it, so it may not serve. */
export class LeaseNotHeldError extends RouteError {
  readonly status = 503;
  override readonly retryAfterSeconds = 1;
  override readonly bodyFields = NO_LEADER_FIELDS;
  constructor() {
    super(
      "This node is the leader but does not hold its lease yet (a majority must acknowledge it, or an earlier leader's lease must run out), or has not yet committed an entry of its own term. Retry shortly.",
    );
    this.name = 'LeaseNotHeldError';
  }
}

/**
 * A follower that takes heartbeats (follower_heartbeats) has not heard from the leader within
 * its lease, or the leader did not confirm a heartbeat in time: it accepts none it cannot pass
 * on. Another node, or the same one a moment later, can.
 */
export class LeaderOutOfReachError extends RouteError {
  readonly status = 503;
  override readonly retryAfterSeconds = 1;
  override readonly bodyFields: Record<string, unknown>;
  constructor(leader: string | null, leaderApi: string | null) {
    super(
      `This follower cannot reach the leader${leader ? ` ${leader}` : ''} to pass the heartbeat on. Retry shortly, here or on another node.`,
    );
    this.name = 'LeaderOutOfReachError';
    this.bodyFields = { current_leader: leader, leader_api: leaderApi };
  }
}
