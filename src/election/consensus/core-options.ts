import type { MembershipConfig } from './membership';
import type { NodeId } from './messages';

/** What must survive a restart, persisted (fsync) before any message that depends on it. */
export interface HardState {
  term: number;
  votedFor: NodeId | null;
  /**
   * The highest index known committed. Always set in a Ready; when loading, a store that does
   * not keep it may leave it out (0): commitment is then learnt again from the leader.
   */
  commit?: number;
}

/** One record of the replicated log. `data === null` is the no-op a new leader appends. */
export interface Entry {
  index: number;
  term: number;
  data: unknown;
}

/** The state machine's image of every entry up to `index` (whose term was `term`). */
export interface Snapshot {
  index: number;
  term: number;
  data: unknown;
  /** The membership in force at `index`; absent in snapshots taken before membership changes. */
  membership?: MembershipConfig;
}

/** What the driver loaded from disk at start. */
export interface InitialState {
  hardState: HardState;
  /** The persisted log after the snapshot, in index order; default none. */
  entries?: Entry[];
  /** The persisted snapshot, if any; default none (the log starts at index 1). */
  snapshot?: Snapshot | null;
}

export interface CoreOptions {
  id: NodeId;
  /**
   * The bootstrap voters (config.toml's `peers`), `id` included unless `learners` holds it or
   * the node is `joining`. The log and the snapshot override them once they hold a membership.
   */
  peers: NodeId[];
  /** Bootstrap learners; default none. */
  learners?: NodeId[];
  /** A new node that is not (yet) in `peers`: it follows whoever leads and never campaigns. */
  joining?: boolean;
  heartbeatIntervalMs: number;
  electionTimeoutMinMs: number;
  electionTimeoutMaxMs: number;
  leaderTermMs: number;
  electionRetryMs: number;
  cpuHysteresisPct: number;
  /** Covers clock-rate drift between nodes: the lease is electionTimeoutMin minus this. */
  leaseSafetyMarginMs: number;
  /** Uniform in [0, 1). */
  random: () => number;
  initial: InitialState;
  /** Monotonic ms at construction. */
  now: number;
}

/** Throws on options no cluster could run with; the config layer words the user-facing errors. */
export function assertValidCoreOptions(o: CoreOptions): void {
  const problems: string[] = [];
  const listed = o.peers.includes(o.id) || (o.learners ?? []).includes(o.id);
  if (!listed && o.joining !== true) problems.push(`peers must include id ${o.id}`);
  if (o.peers.length === 0) problems.push('peers must name at least one voter');
  const all = [...o.peers, ...(o.learners ?? [])];
  if (new Set(all).size !== all.length) problems.push('peers must not repeat');
  const positive: Array<[string, number]> = [
    ['heartbeatIntervalMs', o.heartbeatIntervalMs],
    ['electionTimeoutMinMs', o.electionTimeoutMinMs],
    ['leaderTermMs', o.leaderTermMs],
    ['electionRetryMs', o.electionRetryMs],
    ['leaseSafetyMarginMs', o.leaseSafetyMarginMs],
  ];
  for (const [name, value] of positive) {
    if (!(value > 0) || !Number.isFinite(value)) problems.push(`${name} must be > 0`);
  }
  if (!(o.electionTimeoutMaxMs >= o.electionTimeoutMinMs)) {
    problems.push('electionTimeoutMaxMs must be >= electionTimeoutMinMs');
  }
  if (!(o.heartbeatIntervalMs < o.electionTimeoutMinMs)) {
    problems.push('heartbeatIntervalMs must be < electionTimeoutMinMs');
  }
  if (!(o.leaseSafetyMarginMs < o.electionTimeoutMinMs)) {
    problems.push('leaseSafetyMarginMs must be < electionTimeoutMinMs');
  }
  if (!(o.cpuHysteresisPct >= 0)) problems.push('cpuHysteresisPct must be >= 0');
  const hs = o.initial.hardState;
  if (!(hs.term >= 0)) problems.push('initial.hardState.term must be >= 0');
  if (!((hs.commit ?? 0) >= 0)) problems.push('initial.hardState.commit must be >= 0');
  if (problems.length > 0) throw new Error(`invalid election options: ${problems.join('; ')}`);
}
