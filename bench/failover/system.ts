/** What the failover trial loop needs from a cluster under test (rollcall or etcd). */
export interface FailoverSystem {
  /** e.g. "rollcall" or "etcd". */
  readonly kind: string;
  readonly size: number;
  /** Starts every member; resolves once each one answers. */
  start(): Promise<void>;
  /**
   * Resolves with the leader's index once every member is up, exactly one leads, all agree on
   * it, and it serves a leader-only (linearizable) request. Rejects after `timeoutMs`.
   */
  waitHealthy(timeoutMs: number): Promise<number>;
  /** Work just before the leader is signalled, e.g. clients coming online there. */
  beforeSignal?(leader: number, trial: number): Promise<void>;
  /** One probe of member i: true when it serves leader-only work right now. Never throws. */
  servesAsLeader(i: number): Promise<boolean>;
  signal(i: number, sig: NodeJS.Signals): void;
  /** Resolves when member i's process has exited; SIGKILLs it after `timeoutMs`. */
  waitExit(i: number, timeoutMs: number): Promise<{ code: number | null; signal: string | null }>;
  /** Starts member i again on the same ports and data directory. */
  restart(i: number): Promise<void>;
  memberName(i: number): string;
  /** The member's last output lines, for failure reports. */
  tail(i: number): string[];
  /** How many lines member i has printed so far (a mark for `linesSince`). */
  lineMark(i: number): number;
  /** What member i printed after `mark`. */
  linesSince(i: number, mark: number): string[];
  /** Kills every member and removes the data. */
  stop(): Promise<void>;
}
