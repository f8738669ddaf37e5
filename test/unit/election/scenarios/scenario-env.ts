import { ElectionCore, type Message, type NodeId, type Ready } from './core-glue';
import { SafetyRecorder } from '../sim/safety-recorder';
import { applyKey } from '../sim/sim-cluster';
import type { Timing } from '../sim/timing';
import {
  formatEntries,
  formatMessage,
  formatRoleChange,
  formatSnapshot,
  formatTime,
  isRoutine,
} from './raft-format';
import { ScenarioNode } from './scenario-node';

/** More deliveries than this in one command means the nodes never go quiet: a bug. */
const MAX_DELIVERIES = 10_000;

/**
 * The world a scenario runs in: nodes named 1..n, one clock that only commands move, and a
 * network that holds every message in flight until a command delivers or drops it. Each call
 * into a core is followed at once by what the driver does with its Ready (persist, send,
 * apply); the lines describing it are returned for the command to print.
 */
export class ScenarioEnv {
  now = 0;
  timing: Timing | null = null;
  readonly nodes = new Map<NodeId, ScenarioNode>();
  /** The voters `add-nodes` made: every core's bootstrap peers (its log may say otherwise). */
  bootstrap: NodeId[] = [];
  /** Messages sent and not yet delivered or lost, oldest first. */
  inFlight: Message[] = [];
  /** Directed links `from>to` that a partition cuts. */
  readonly cut = new Set<string>();
  readonly safety = new SafetyRecorder();
  /** While set (by `run`), routine heartbeats and their answers are counted, not printed. */
  elided: { count: number } | null = null;

  get ids(): NodeId[] {
    return [...this.nodes.keys()];
  }

  node(id: string): ScenarioNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id} (nodes: ${this.ids.join(', ')})`);
    return node;
  }

  runningNode(id: string): ScenarioNode & { core: ElectionCore } {
    const node = this.node(id);
    if (node.core === null) throw new Error(`node ${id} is down`);
    return node as ScenarioNode & { core: ElectionCore };
  }

  /** Builds the node's core from its disk at the current time; returns what it did. */
  start(id: NodeId): string[] {
    const node = this.node(id);
    const disk = node.disk;
    node.core = new ElectionCore({
      id,
      peers: this.bootstrap,
      joining: node.joining,
      ...this.timing!,
      random: node.random,
      initial: {
        hardState: { ...disk.hardState },
        snapshot: disk.snapshot,
        entries: disk.entries.map((e) => ({ ...e })),
      },
      now: this.now,
    });
    node.core.setLoad(node.load);
    node.stateMachine = disk.snapshot === null ? [] : [...(disk.snapshot.data as string[])];
    const lines = this.handleReady(node);
    lines.push(`${id} timer at ${formatTime(node.core.nextDeadline())}`);
    return lines;
  }

  /** Calls into a running node's core, then handles its Ready; returns the lines to print. */
  interact(id: NodeId, call: (core: ElectionCore) => void): string[] {
    return this.ask(id, call)[1];
  }

  /** interact() for a call whose answer matters: the answer, and the lines to print. */
  ask<T>(id: NodeId, call: (core: ElectionCore) => T): [T, string[]] {
    const node = this.runningNode(id);
    this.safety.checkLeaseBetweenEvents(id, node.core.leaseValid(this.now), this.now);
    const answer = call(node.core);
    return [answer, this.handleReady(node)];
  }

  private handleReady(node: ScenarioNode): string[] {
    const ready: Ready = node.core!.ready();
    this.safety.checkReady(node.id, node.disk.hardState, ready, this.now);
    const lines = ready.roleChanges.map((c) => formatRoleChange(node.id, c));
    lines.push(...persistLines(node.id, ready));
    node.persist(ready);
    if (ready.snapshot !== null) {
      this.safety.checkSnapshot(node.id, ready.snapshot.data as string[], this.now);
    }
    for (const msg of ready.messages) lines.push(...this.send(msg));
    if (ready.committed.length > 0) {
      lines.push(`${node.id} applies ${formatEntries(ready.committed)}`);
      for (const e of ready.committed)
        this.safety.checkApply(node.id, e.index, applyKey(e), this.now);
      node.apply(ready.committed);
    }
    lines.push(...this.noteLease(node));
    return lines;
  }

  /** Prints when a lease starts or ends within an event; its extensions are silent. */
  private noteLease(node: ScenarioNode): string[] {
    const status = node.core!.status(this.now);
    const until = status.leaseValid ? status.leaseUntil : null;
    this.safety.updateLease(node.id, { valid: status.leaseValid, until }, this.now);
    const before = node.leaseUntil;
    node.leaseUntil = until;
    if (before === null && until !== null) {
      return [`${node.id} holds the lease until ${formatTime(until)}`];
    }
    if (before !== null && until === null) return [`${node.id} no longer holds the lease`];
    return [];
  }

  /** A lease that ran out with no event: the clock passed its end. */
  expireLease(node: ScenarioNode): string {
    this.safety.updateLease(node.id, null, this.now);
    node.leaseUntil = null;
    return `@${formatTime(this.now)} ${node.id}'s lease runs out`;
  }

  /** Under `run`, a routine message is counted once: when lost here, or when delivered idle. */
  private send(msg: Message): string[] {
    const why = this.whyLost(msg);
    if (why === null) this.inFlight.push(msg);
    if (this.elided !== null && isRoutine(msg)) {
      if (why !== null) this.elided.count++;
      return [];
    }
    return [why === null ? formatMessage(msg) : `${formatMessage(msg)} (lost: ${why})`];
  }

  /** Why the network would lose `msg` now, or null when it carries it. */
  whyLost(msg: Message): string | null {
    if (this.cut.has(`${msg.from}>${msg.to}`)) return 'partitioned';
    if (this.nodes.get(msg.to)?.core == null) return `${msg.to} is down`;
    return null;
  }

  /**
   * Delivers the in-flight messages `pick` selects, in the order they were sent: all of them
   * with their consequences until the network is quiet, or (once) only those in flight now.
   */
  deliver(pick: (m: Message) => boolean, untilQuiet: boolean): string[] {
    const lines: string[] = [];
    let batch = this.take(pick);
    for (let delivered = 0; batch.length > 0; batch = untilQuiet ? this.take(pick) : []) {
      for (const msg of batch) {
        if (++delivered > MAX_DELIVERIES) throw new Error('the nodes never go quiet');
        lines.push(...this.deliverOne(msg));
      }
    }
    return lines;
  }

  private deliverOne(msg: Message): string[] {
    const why = this.whyLost(msg);
    if (why !== null) return [`${formatMessage(msg)} (lost: ${why})`];
    const effects = this.interact(msg.to, (core) => core.step(msg, this.now));
    if (this.elided !== null && isRoutine(msg) && effects.length === 0) {
      this.elided.count++;
      return [];
    }
    return [formatMessage(msg), ...effects.map((l) => `  ${l}`)];
  }

  /** Removes and returns the in-flight messages `pick` selects. */
  take(pick: (m: Message) => boolean): Message[] {
    const taken = this.inFlight.filter(pick);
    this.inFlight = this.inFlight.filter((m) => !pick(m));
    return taken;
  }
}

/** Ready steps 1-3 in words, in the order the driver does them. */
function persistLines(id: NodeId, ready: Ready): string[] {
  const lines: string[] = [];
  if (ready.snapshot !== null) {
    lines.push(`${id} persists snapshot ${formatSnapshot(ready.snapshot)} in place of its log`);
  }
  if (ready.truncateFrom !== undefined) {
    lines.push(`${id} drops its entries from ${ready.truncateFrom} on`);
  }
  if (ready.entries.length > 0) lines.push(`${id} persists ${formatEntries(ready.entries)}`);
  const hs = ready.hardState;
  if (hs !== null) {
    lines.push(`${id} persists term=${hs.term} vote=${hs.votedFor ?? 'none'} commit=${hs.commit}`);
  }
  return lines;
}
