/** This node is not the leader, but knows who is. */
export class NotLeaderError extends Error {
  constructor(
    readonly leader: string,
    readonly leaderApi: string | null,
  ) {
    super(`This node is not the leader. Current leader: ${leader}`);
    this.name = 'NotLeaderError';
  }
}

/** No leader is known: an election is under way. */
export class NoLeaderError extends Error {
  /** Seconds a client should wait before asking again. */
  readonly retryAfterSeconds = 1;
  constructor() {
    super(
      'This node is not the leader and no leader is known yet: an election is under way. Retry shortly.',
    );
    this.name = 'NoLeaderError';
  }
}

/** This node won the election but a majority has not yet acknowledged it, so it may not serve. */
export class LeaseNotHeldError extends Error {
  readonly retryAfterSeconds = 1;
  constructor() {
    super(
      "This node is the leader but does not hold its lease yet (a majority must acknowledge it, or an earlier leader's lease must run out). Retry shortly.",
    );
    this.name = 'LeaseNotHeldError';
  }
}
