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
