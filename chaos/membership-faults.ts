import type { TestCluster } from '../test/support/cluster';
import type { NodeProcess } from '../test/support/node-process';
import { type AdminAnswer, type AdminTargets, adminCall } from './admin-client';
import { now, pause } from './clock';
import {
  type ChangeOutcome,
  type MemberAction,
  type MemberListSeen,
  type MembershipHistory,
  memberListOf,
} from './membership-history';
import { type MemberKind, type MemberStep, planMemberStep } from './membership-plan';
import type { Prng } from './prng';
import type { Recorder } from './recorder';

/** A change answered within this budget, or its outcome is unknown until a later member list. */
const CHANGE_BUDGET_MS = 10_000;
/** A promotion is retried while the learner is behind, for up to this long. */
const PROMOTE_BUDGET_MS = 20_000;
const LIST_BUDGET_MS = 10_000;
const START_TIMEOUT_MS = 20_000;

/** What the membership faults share with the rest of the nemesis. */
export interface MemberFaultDeps {
  cluster: TestCluster;
  recorder: Recorder;
  history: MembershipHistory;
  rng: Prng;
  leader: () => number | null;
  log: (kind: string, detail: string) => void;
  token: string;
  /** Slots a process fault holds (down, stopped, restarting): never a target here. */
  down: Set<number>;
  /** Whether one more node may go down (the nemesis keeps a minority at most). */
  mayTakeDown: () => boolean;
  started: (node: number, proc: NodeProcess) => void;
}

/**
 * Membership faults on the real cluster: new machines added as learners (started with an empty
 * data directory and JOIN), learners promoted, members removed (the leader too), and members
 * replaced (kill -9, remove, add a new machine at a new address, promote it). A refusal of the
 * guard rails (409) is recorded as refused; every change and member list goes to the history.
 */
export class MembershipFaults {
  voters: number[];
  learners: number[] = [];
  configIndex = 0;
  /** Removed members whose process still runs: killed at the next step, to see them stay quiet. */
  private readonly retiring = new Set<number>();
  private readonly unused: number[];
  private readonly busy = new Set<number>();

  constructor(private readonly d: MemberFaultDeps) {
    const n = d.cluster.opts.size;
    this.voters = Array.from({ length: n }, (_, i) => i);
    this.unused = d.cluster.ids.map((_, i) => i).filter((i) => i >= n);
    d.history.bootstrap = [...this.voters];
  }

  /** The members now, as far as the runner knows: what the network and process faults act on. */
  members(): number[] {
    return [...this.voters, ...this.learners].sort((a, b) => a - b);
  }

  isBusy(node: number): boolean {
    return this.busy.has(node);
  }

  private get targets(): AdminTargets {
    const urls = this.d.cluster.ids.map((_, i) => this.d.cluster.url(i));
    const candidates = () => {
      const up = this.members().filter((i) => this.d.cluster.nodes[i]?.running);
      const l = this.d.leader();
      return l !== null && up.includes(l) ? [l, ...up.filter((i) => i !== l)] : up;
    };
    return { urls, candidates, token: this.d.token };
  }

  async step(kind: MemberKind): Promise<void> {
    await this.retireRemoved();
    const plan = planMemberStep(
      kind,
      {
        voters: this.voters,
        learners: this.learners,
        unusedSlots: this.unused,
        busy: new Set([...this.d.down, ...this.busy]),
        nodes: this.d.cluster.opts.size,
        leader: this.d.leader(),
      },
      this.d.rng,
    );
    if (plan.action === 'none') {
      this.d.log(kind, `nothing to do: ${plan.why}`);
      return;
    }
    this.busy.add(plan.node);
    try {
      await this.run(kind, plan);
    } finally {
      this.busy.delete(plan.node);
      await this.refresh();
    }
  }

  private async run(kind: MemberKind, plan: Exclude<MemberStep, { action: 'none' }>) {
    const tag = plan.leader ? ' (leader)' : '';
    this.d.log(kind, `${plan.action} node ${plan.node}${tag}`);
    switch (plan.action) {
      case 'add':
        return this.add(this.unused.shift()!);
      case 'promote':
        return this.promote(plan.node);
      case 'remove':
        return this.remove(plan.node);
      case 'replace':
        return this.replace(plan.node);
    }
  }

  /** A new machine: added as a learner, then started with an empty data dir and JOIN. */
  private async add(node: number): Promise<boolean> {
    const { ids } = this.d.cluster;
    const body = { node: ids[node], api_url: this.d.cluster.url(node), learner: true };
    const added = () => this.members().includes(node);
    await this.untilVisible('add', node, 'POST', '/cluster/members', body, added);
    if (!added()) return false;
    await this.startNew(node);
    return true;
  }

  /** Starts a member's slot for the first time: empty data dir, JOIN through a running member. */
  private async startNew(node: number): Promise<void> {
    const through = this.members().find((i) => i !== node && this.d.cluster.nodes[i]?.running);
    const env: Record<string, string> =
      through === undefined ? {} : { JOIN: this.d.cluster.url(through) };
    const proc = this.d.cluster.startNode(node, env);
    this.d.started(node, proc);
    try {
      await proc.waitUntilServing(START_TIMEOUT_MS);
    } catch (err) {
      this.d.recorder.anomalies.push(`new node ${node} did not start: ${(err as Error).message}`);
    }
  }

  /** Promotes a learner, asking again while the leader says it is behind (409 `behind`). */
  private async promote(node: number): Promise<void> {
    const path = `/cluster/members/${encodeURIComponent(this.d.cluster.ids[node])}/promote`;
    await this.change('promote', node, 'POST', path, {}, PROMOTE_BUDGET_MS);
  }

  private async remove(node: number): Promise<boolean> {
    const path = `/cluster/members/${encodeURIComponent(this.d.cluster.ids[node])}`;
    const removed = () => !this.members().includes(node);
    const outcome = await this.untilVisible('remove', node, 'DELETE', path, undefined, removed);
    if (!removed()) return false;
    // Only a removal known committed retires the process: a list can show one still in flight.
    if (outcome === 'committed' && this.d.cluster.nodes[node]?.running) this.retiring.add(node);
    return true;
  }

  /** kill -9 a voter, remove it, and put a new machine at a new address in its place. */
  private async replace(node: number): Promise<void> {
    const proc = this.d.cluster.nodes[node];
    const kill = proc?.running === true && this.d.mayTakeDown();
    let done: (() => void) | null = null;
    if (kill) {
      this.d.down.add(node);
      done = this.d.recorder.processFault(node);
      await proc.kill();
    }
    try {
      const removed = await this.remove(node);
      if (!removed && kill) await this.restart(node);
      if (!removed) return;
    } finally {
      done?.();
      this.d.down.delete(node);
    }
    const added = this.unused.shift()!;
    if (await this.add(added)) await this.promote(added);
  }

  private async restart(node: number): Promise<void> {
    const proc = this.d.cluster.startNode(node);
    this.d.started(node, proc);
    await proc.waitUntilServing(START_TIMEOUT_MS).catch((err: Error) => {
      this.d.recorder.anomalies.push(`node ${node} did not start again: ${err.message}`);
    });
  }

  /**
   * A change, asked once more if its outcome was unknown and the leader's list does not show
   * it (a leader that lost its lease after appending it, a reset connection): a second attempt
   * commits it or is refused, `in-flight` say, if the first is still pending after all.
   */
  private async untilVisible(
    action: MemberAction,
    node: number,
    method: 'POST' | 'DELETE',
    path: string,
    body: unknown,
    visible: () => boolean,
  ): Promise<ChangeOutcome> {
    let outcome: ChangeOutcome = 'unknown';
    for (let attempt = 0; attempt < 2; attempt++) {
      outcome = await this.change(action, node, method, path, body);
      if (outcome === 'committed') return outcome;
      await this.refresh();
      if (outcome === 'refused' || visible()) return outcome;
    }
    return outcome;
  }

  /**
   * One change, retried while the leader answers 409 `behind` (promotions only) until `budget`:
   * recorded with its outcome, and its 200's member list with the lists.
   */
  private async change(
    action: MemberAction,
    node: number,
    method: 'POST' | 'DELETE',
    path: string,
    body: unknown,
    budget = CHANGE_BUDGET_MS,
  ): Promise<'committed' | 'refused' | 'unknown'> {
    const send = now();
    const deadline = send + budget;
    let answer: AdminAnswer | null = null;
    for (let k = 0; k < 1000 && now() < deadline; k++) {
      answer = await adminCall(this.targets, method, path, body, deadline);
      if (answer?.status !== 409 || answer.body?.reason !== 'behind') break;
      await pause(250);
    }
    const outcome =
      answer?.status === 200
        ? 'committed'
        : answer?.status === 409 || answer?.status === 404
          ? 'refused'
          : 'unknown';
    const reason =
      outcome === 'committed'
        ? null
        : answer === null
          ? 'no answer'
          : `${answer.status} ${textOf(answer.body?.reason ?? answer.body?.message)}`;
    const recv = answer?.recv ?? now();
    this.d.history.changes.push({ action, node, send, recv, outcome, reason });
    // A removed member stops holding presence for the others: for the /discover check that is
    // like its process going away, as a kill is.
    if (action === 'remove' && outcome !== 'refused')
      this.d.recorder.processFaults.push({ node, start: send, end: recv });
    const detail = `node ${node}: ${outcome}${reason ? ` (${reason})` : ''}`;
    this.d.recorder.fault(`member-${action}`, detail);
    this.d.log(`member-${action}`, detail);
    if (answer?.status === 200) this.adopt(this.listFrom(answer, true));
    return outcome;
  }

  /** Asks the leader for the member list and adopts it. */
  async refresh(): Promise<void> {
    const answer = await adminCall(
      this.targets,
      'GET',
      '/cluster/members',
      undefined,
      now() + LIST_BUDGET_MS,
    );
    if (answer?.status === 200) this.adopt(this.listFrom(answer, false));
  }

  private listFrom(a: AdminAnswer, committed: boolean): MemberListSeen {
    const list = memberListOf(a, this.d.cluster.ids, committed);
    this.d.history.lists.push(list);
    return list;
  }

  /**
   * The leader's latest list becomes the runner's view, even with a lower index than one seen
   * before: the runner asks one thing at a time, and a higher index seen before may have been a
   * change not committed, which a later leader replaced.
   */
  private adopt(list: MemberListSeen): void {
    this.configIndex = list.configIndex;
    this.voters = list.voters.filter((i) => i >= 0);
    this.learners = list.learners.filter((i) => i >= 0);
  }

  /** Kills removed members that still run (they had a step's time to show they stay quiet). */
  async retireRemoved(): Promise<void> {
    if (this.retiring.size > 0) await this.refresh();
    for (const node of this.retiring) {
      if (!this.members().includes(node)) await this.d.cluster.nodes[node]?.kill();
    }
    this.retiring.clear();
  }

  /** A member not running (never started, or down) is started, and every learner promoted. */
  async heal(): Promise<void> {
    await this.retireRemoved();
    await this.refresh();
    for (const node of this.members()) {
      if (this.d.cluster.nodes[node]?.running) continue;
      if (this.d.cluster.nodes[node]) await this.restart(node);
      else await this.startNew(node);
    }
    for (const node of [...this.learners]) await this.promote(node);
    await this.refresh();
  }
}

function textOf(x: unknown): string {
  return typeof x === 'string' ? x : JSON.stringify(x ?? '');
}
