/** A membership change the runner asked for: `action` of slot `node`. */
export type MemberAction = 'add' | 'promote' | 'remove';

/**
 * How a change ended: `committed` (a 200), `refused` (a 409 or 404: a guard rail said no, which
 * is expected and no failure), or `unknown` (no answer within the step's budget: it may still
 * commit, which the next member list shows).
 */
export type ChangeOutcome = 'committed' | 'refused' | 'unknown';

export interface MemberChange {
  action: MemberAction;
  node: number;
  /** Runner clock: when the first request of the change left, and when its last answer came. */
  send: number;
  recv: number;
  outcome: ChangeOutcome;
  /** The 409's `reason`, or why the outcome is unknown. */
  reason: string | null;
}

/**
 * A member list a leader served (GET /cluster/members, or the 200 of a change): the slots it
 * names as voters and learners under `configIndex`, and when it was asked and answered.
 */
export interface MemberListSeen {
  /** The slot that served it. */
  by: number;
  send: number;
  recv: number;
  configIndex: number;
  voters: number[];
  learners: number[];
  /**
   * Known committed: a change's 200 (answered once committed) or the list after healing. A
   * GET's list is the latest configuration in the leader's log, which may not be committed
   * yet and may then be replaced by another leader's entry at the same index.
   */
  committed: boolean;
}

/** The member list of an answer of GET /cluster/members or of a change, by slot (-1: unknown). */
export function memberListOf(
  a: { by: number; send: number; recv: number; body: Record<string, unknown> | null },
  ids: readonly string[],
  committed: boolean,
): MemberListSeen {
  const members = (a.body?.members ?? []) as { node: string; role: string }[];
  const slots = (role: string) =>
    members.filter((m) => m.role === role).map((m) => ids.indexOf(m.node));
  return {
    by: a.by,
    send: a.send,
    recv: a.recv,
    configIndex: Number(a.body?.config_index),
    voters: slots('voter'),
    learners: slots('learner'),
    committed,
  };
}

/** What one node says of itself after healing (GET /'s `membership`). */
export interface OwnRoleSeen {
  node: number;
  role: 'voter' | 'learner' | 'removed' | null;
  configIndex: number | null;
}

/**
 * The membership over a run, on the runner's clock: every change asked for and how it ended,
 * every member list a leader served, and at the end each node's own view. The checker reads it.
 */
export class MembershipHistory {
  readonly changes: MemberChange[] = [];
  readonly lists: MemberListSeen[] = [];
  /** The slots started with the cluster (the bootstrap voters). */
  bootstrap: number[] = [];
  /** After healing: the leader's list, and what each node it names says of itself. */
  final: { list: MemberListSeen | null; own: OwnRoleSeen[] } = { list: null, own: [] };

  /** Counts by action and outcome, for the report: `add committed` 3, say. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.changes) {
      const key = `${c.action} ${c.outcome}`;
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  }
}
