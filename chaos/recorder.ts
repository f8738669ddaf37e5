import { now } from './clock';

/** The routes only a leader answers 200 on; each such 200 carries Rollcall-Term. */
export const LEADER_ROUTES = ['/register', '/heartbeat', '/discover', '/users'] as const;

export type Source = 'workload' | 'prober' | 'verify';

/** One 200 from a leader-only route: which node served it, in which term, and when. */
export interface LeaderAnswer {
  node: number;
  term: number;
  route: string;
  /** Runner clock: just before the request left, and when its answer's headers arrived. */
  send: number;
  recv: number;
  source: Source;
}

export interface HeartbeatAck extends LeaderAnswer {
  username: string;
  /** The address the heartbeat named; absent, the client's registered one. */
  addr?: string;
  /** Taken by a follower (Rollcall-Via): held by a majority before its 200, whatever `node` does. */
  viaFollower?: boolean;
}

/** A read a follower served from its copy (follower_reads), and how far behind it said it was. */
export interface FollowerServed {
  node: number;
  lagMs: number;
  send: number;
  recv: number;
}

/** Who a /discover answer listed online: each username with the address it gave. */
export type OnlineList = Map<string, string>;

/** A /discover a follower served. */
export interface FollowerRead extends FollowerServed {
  online: OnlineList;
}

/** A /users a follower served from its registry. */
export interface FollowerUsersRead extends FollowerServed {
  users: Set<string>;
}

export interface DiscoverAnswer extends LeaderAnswer {
  online: OnlineList;
}

export interface RegistrationAck {
  username: string;
  userId: string;
  at: number;
}

/** A node seen as leader of a term, and by what. */
export interface LeaderClaim {
  term: number;
  node: number;
  how: 'answer' | 'health' | 'log';
  at: number;
  /** Health claims: when the request left (the node led at some moment in [send, at]). */
  send?: number;
}

export interface FaultRecord {
  kind: string;
  at: number;
  detail: string;
}

/**
 * Everything the invariant checker needs, on the runner's monotonic clock. The runner, the
 * workload and the prober only append; the checker reads it all after the run.
 */
export class Recorder {
  readonly leaderAnswers: LeaderAnswer[] = [];
  readonly heartbeatAcks: HeartbeatAck[] = [];
  readonly discovers: DiscoverAnswer[] = [];
  readonly followerReads: FollowerRead[] = [];
  readonly followerUsersReads: FollowerUsersRead[] = [];
  readonly registrations: RegistrationAck[] = [];
  readonly claims: LeaderClaim[] = [];
  readonly faults: FaultRecord[] = [];
  /** Per node, intervals during which its process was down, stopped or restarting. */
  readonly processFaults: { node: number; start: number; end: number }[] = [];
  /** Things that are wrong but no invariant of their own: a 200 without its term, say. */
  readonly anomalies: string[] = [];
  /** Workload calls that failed for good (the SDK's retry budget spent), and why. */
  readonly failures: { op: 'register' | 'heartbeat' | 'discover'; at: number; why: string }[] = [];
  readonly ops = {
    register: { ok: 0, failed: 0 },
    heartbeat: { ok: 0, failed: 0 },
    discover: { ok: 0, failed: 0 },
    probe: { ok: 0, other: 0 },
    health: { ok: 0, failed: 0 },
  };
  readonly startedAt = now();

  failed(op: 'register' | 'heartbeat' | 'discover', err: unknown): void {
    this.ops[op].failed++;
    this.failures.push({ op, at: now(), why: (err as Error)?.message ?? String(err) });
  }

  fault(kind: string, detail: string): void {
    this.faults.push({ kind, at: now(), detail });
  }

  faultCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const f of this.faults) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
    return counts;
  }

  /** Marks node `node`'s process down, stopped or restarting until the returned call. */
  processFault(node: number): () => void {
    const fault = { node, start: now(), end: Number.POSITIVE_INFINITY };
    this.processFaults.push(fault);
    return () => {
      if (fault.end === Number.POSITIVE_INFINITY) fault.end = now();
    };
  }

  /** Whether a process other than node `except`'s was down, stopped or restarting in [from, to]. */
  otherProcessFaultDuring(except: number, from: number, to: number): boolean {
    return this.processFaults.some((f) => f.node !== except && f.start <= to && f.end >= from);
  }

  sinceStart(t: number): string {
    return `${((t - this.startedAt) / 1000).toFixed(3)}s`;
  }
}
