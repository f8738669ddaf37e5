import {
  type ChangeRefusal,
  ElectionCore,
  type Entry,
  type MembershipChange,
  type HardState,
  type Message,
  type NodeId,
  type NodeLoad,
  type Ready,
  type RoleChange,
  type Snapshot,
  type Status,
  type TransferReason,
} from '../../../../src/election/consensus';
import { EventQueue } from './event-queue';
import { Prng } from './prng';
import { SafetyRecorder, type LeaseSpan } from './safety-recorder';
import { SimNetwork, type NetworkConditions } from './sim-network';
import { DEFAULT_TIMING, type Timing } from './timing';

export interface ClusterOptions {
  size: number;
  seed: number;
  timing?: Partial<Timing>;
  /** Per node, in address order, machine and background alike; default 50 each. */
  cpu?: number[];
  network?: Partial<NetworkConditions>;
  /** Record every role change and message handled (for debugging one seed). */
  trace?: boolean;
  /** A node snapshots its state machine and compacts once this many entries are applied past it. */
  compactEvery?: number;
  /**
   * The first this many nodes are the bootstrap voters (default all); the others start as new,
   * empty nodes outside the cluster, waiting to be added (as `--join` would start them).
   */
  voters?: number;
}

/** What survives a crash: written only while processing a Ready, before sending. */
export interface SimDisk {
  hardState: HardState;
  snapshot: Snapshot | null;
  entries: Entry[];
}

/** How the state machine records an applied entry: its term and data, so any mismatch shows. */
export function applyKey(e: Entry): string {
  return `${e.term}/${JSON.stringify(e.data)}`;
}

type SimEvent =
  | { kind: 'deliver'; msg: Message; incarnation: number }
  | { kind: 'tick'; node: NodeId; token: number }
  | { kind: 'action'; run: () => void };

/** One member: a core while it runs, and a "disk" that only Ready processing writes. */
class SimNode {
  core: ElectionCore | null = null;
  disk: SimDisk = { hardState: { term: 0, votedFor: null }, snapshot: null, entries: [] };
  /** The state machine (volatile): applyKey of every applied entry, index i at [i - 1]. */
  applied: string[] = [];
  /** Bumped on crash: messages sent to an earlier incarnation are lost. */
  incarnation = 0;
  tickToken = 0;
  tickAt = Infinity;
  readonly random: () => number;
  /** What the driver last sent out, for tests that inspect the wire. */
  readonly sent: Message[] = [];
  readonly roleChanges: Array<RoleChange & { at: number }> = [];

  constructor(
    readonly id: NodeId,
    public load: NodeLoad,
    seed: number,
  ) {
    this.random = new Prng(seed).next;
  }
}

export function nodeIds(size: number): NodeId[] {
  return Array.from({ length: size }, (_, i) => `10.0.0.${i + 1}:7000`);
}

/**
 * A deterministic in-memory cluster: virtual time, a fault-injecting network, crashes that
 * keep only the disk, and a SafetyRecorder that sees every Ready and every lease. Each node
 * runs the driver's contract: persist (snapshot, truncation, entries, hard state) to its disk,
 * then send, then apply committed entries to a volatile state machine (`applied`), which a
 * restart rebuilds from the disk's snapshot and the entries the core hands out again. With
 * `compactEvery`, a node snapshots its state machine and compacts its log as it applies.
 */
export class SimCluster {
  readonly ids: NodeId[];
  readonly timing: Timing;
  readonly network: SimNetwork;
  readonly safety = new SafetyRecorder();
  readonly rng: Prng;
  readonly trace: string[] | null;
  now = 0;
  /** How many events were handled; a cheap measure of work for tuning run lengths. */
  events = 0;
  /** Whether nodes keep what they sent for tests to inspect; long random runs turn it off. */
  keepSent = true;
  /** Rewrites (or, returning null, drops) each message as it is sent; for focused tests. */
  rewrite: ((msg: Message) => Message | null) | null = null;
  /** Called with every entry a node applies, after the safety checks. */
  onApply: ((node: NodeId, entry: Entry) => void) | null = null;
  readonly compactEvery: number;
  /** The bootstrap voters: config.toml's peers. */
  readonly bootstrap: NodeId[];
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly queue = new EventQueue<SimEvent>();

  constructor(opts: ClusterOptions) {
    this.ids = nodeIds(opts.size);
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.rng = new Prng(opts.seed);
    this.trace = opts.trace ? [] : null;
    this.compactEvery = opts.compactEvery ?? Infinity;
    this.bootstrap = this.ids.slice(0, opts.voters ?? opts.size);
    this.network = new SimNetwork(this.ids, new Prng(this.rng.fork()));
    this.network.conditions = { ...this.network.conditions, ...opts.network };
    this.ids.forEach((id, i) => {
      const cpu = opts.cpu?.[i] ?? 50;
      this.nodes.set(id, new SimNode(id, { machine: cpu, background: cpu }, this.rng.fork()));
    });
    for (const id of this.ids) this.start(id);
  }

  // ---- time -----------------------------------------------------------------------------------

  runUntil(t: number): void {
    for (;;) {
      const next = this.queue.peekTime();
      if (next === undefined || next > t) break;
      this.handle();
    }
    this.now = Math.max(this.now, t);
  }

  runFor(ms: number): void {
    this.runUntil(this.now + ms);
  }

  /** Runs event by event until `done` holds; returns the time it first held, or null. */
  runUntilTrue(done: () => boolean, maxMs: number): number | null {
    const limit = this.now + maxMs;
    if (done()) return this.now;
    for (;;) {
      const next = this.queue.peekTime();
      if (next === undefined || next > limit) break;
      this.handle();
      if (done()) return this.now;
    }
    this.now = Math.max(this.now, limit);
    return null;
  }

  /** Runs `fn` at virtual time `at` (inside the event order, like any other event). */
  at(at: number, fn: () => void): void {
    this.queue.push(Math.max(at, this.now), { kind: 'action', run: fn });
  }

  // ---- nodes ----------------------------------------------------------------------------------

  node(id: NodeId): SimNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  isUp(id: NodeId): boolean {
    return this.node(id).core !== null;
  }

  status(id: NodeId): Status | null {
    return this.node(id).core?.status(this.now) ?? null;
  }

  /** Every running node that believes it leads. */
  leaders(): NodeId[] {
    return this.ids.filter((id) => this.status(id)?.role === 'leader');
  }

  /**
   * The leader every running member follows, holding a valid lease; null while there is none.
   * Members are those of the leader's configuration: a removed or never added node may be left.
   */
  agreedLeader(): NodeId | null {
    const up = this.ids.filter((id) => this.isUp(id));
    const leaders = up.filter((id) => this.status(id)!.leaseValid);
    if (leaders.length !== 1) return null;
    const leader = leaders[0];
    const { term, membership } = this.status(leader)!;
    const members = new Set([...membership.voters, ...membership.learners]);
    const following = up.every((id) => {
      if (!members.has(id)) return true;
      const s = this.status(id)!;
      return s.term === term && s.leader === leader;
    });
    return following ? leader : null;
  }

  /** Runs until one leader holds a lease with every running node following it; throws if none. */
  runUntilAgreedLeader(maxMs = 10 * this.timing.electionTimeoutMaxMs): NodeId {
    const at = this.runUntilTrue(() => this.agreedLeader() !== null, maxMs);
    if (at === null) throw new Error(`no agreed leader within ${maxMs} ms (t=${this.now})`);
    return this.agreedLeader()!;
  }

  /** Every span during which some node held a valid lease, up to now. */
  leaseSpans(id?: NodeId): LeaseSpan[] {
    const spans = this.safety.leaseSpans(this.now);
    return id === undefined ? spans : spans.filter((s) => s.node === id);
  }

  /** The highest term any running node is in. */
  maxTerm(): number {
    return Math.max(...this.ids.map((id) => this.status(id)?.term ?? 0));
  }

  /** A load its own process has no part in: machine and background alike. */
  setCpu(id: NodeId, cpu: number): void {
    this.setLoad(id, { machine: cpu, background: cpu });
  }

  /** A node's sampler reports its machine's load and that minus its own process's share. */
  setLoad(id: NodeId, load: NodeLoad): void {
    const node = this.node(id);
    node.load = { ...load };
    node.core?.setLoad(node.load);
  }

  crash(id: NodeId): void {
    const node = this.node(id);
    if (node.core === null) return;
    node.core = null;
    node.incarnation++;
    node.tickToken++;
    node.tickAt = Infinity;
    this.safety.updateLease(id, null, this.now);
    this.note(`${id} crashed`);
  }

  restart(id: NodeId): void {
    if (this.node(id).core !== null) return;
    this.start(id);
    this.note(`${id} restarted at term ${this.node(id).disk.hardState.term}`);
  }

  /** `exited`: the driver saw the peer's port refuse it, so the peer's process is gone. */
  peerUnreachable(at: NodeId, peer: NodeId, exited = false): void {
    this.interact(at, (core) => core.peerUnreachable(peer, this.now, exited));
  }

  /** Proposes `data` on node `id`; returns where it went, or null when refused (or down). */
  propose(id: NodeId, data: unknown): { index: number; term: number } | null {
    let at: { index: number; term: number } | null = null;
    this.interact(id, (core) => {
      at = core.propose(data, this.now);
    });
    if (this.trace) this.note(`${id} propose ${JSON.stringify(data)}: ${JSON.stringify(at)}`);
    return at;
  }

  /** Asks node `id` (the leader, or it refuses) for one membership change. */
  changeMembership(
    id: NodeId,
    change: MembershipChange,
  ): { index: number; term: number } | ChangeRefusal | null {
    let result: { index: number; term: number } | ChangeRefusal | null = null;
    this.interact(id, (core) => {
      result = core.changeMembership(change, this.now);
    });
    if (this.trace)
      this.note(`${id} membership ${JSON.stringify(change)}: ${JSON.stringify(result)}`);
    return result;
  }

  transferLeadership(id: NodeId, reason: TransferReason, to?: NodeId): NodeId | null {
    let target: NodeId | null = null;
    this.interact(id, (core) => {
      target = core.transferLeadership(this.now, reason, to);
    });
    return target;
  }

  // ---- network --------------------------------------------------------------------------------

  partition(...groups: NodeId[][]): void {
    this.network.partition(groups);
    this.note(`partition ${groups.map((g) => g.join(',')).join(' | ')}`);
  }

  isolate(id: NodeId): void {
    this.network.isolate(id);
    this.note(`isolate ${id}`);
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.network.cutOneWay(from, to);
    this.note(`cut ${from} -> ${to}`);
  }

  heal(): void {
    this.network.heal();
    this.note('heal');
  }

  /** Hands a message to a node directly, bypassing the network (for focused tests). */
  deliver(msg: Message): void {
    this.interact(msg.to, (core) => core.step(msg, this.now));
  }

  // ---- internals ------------------------------------------------------------------------------

  private start(id: NodeId): void {
    const node = this.node(id);
    const t = this.timing;
    node.core = new ElectionCore({
      id,
      peers: this.bootstrap,
      joining: !this.bootstrap.includes(id),
      heartbeatIntervalMs: t.heartbeatIntervalMs,
      electionTimeoutMinMs: t.electionTimeoutMinMs,
      electionTimeoutMaxMs: t.electionTimeoutMaxMs,
      leaderTermMs: t.leaderTermMs,
      electionRetryMs: t.electionRetryMs,
      cpuHysteresisPct: t.cpuHysteresisPct,
      leaseSafetyMarginMs: t.leaseSafetyMarginMs,
      random: node.random,
      initial: {
        hardState: { ...node.disk.hardState },
        snapshot: node.disk.snapshot,
        entries: node.disk.entries.map((e) => ({ ...e })),
      },
      now: this.now,
    });
    node.core.setLoad(node.load);
    // The state machine is rebuilt from the snapshot; the core hands out the rest to apply.
    node.applied = node.disk.snapshot === null ? [] : [...(node.disk.snapshot.data as string[])];
    this.afterEvent(node, false);
  }

  private handle(): void {
    const { at, item } = this.queue.pop()!;
    this.now = at;
    this.events++;
    switch (item.kind) {
      case 'action':
        item.run();
        return;
      case 'deliver': {
        const node = this.node(item.msg.to);
        if (node.incarnation !== item.incarnation) return;
        if (!this.network.canSend(item.msg.from, item.msg.to)) return;
        if (this.trace) this.note(`deliver ${describe(item.msg)}`);
        this.interact(node.id, (core) => core.step(item.msg, this.now));
        return;
      }
      case 'tick': {
        const node = this.node(item.node);
        if (node.tickToken !== item.token || node.core === null) return;
        node.tickAt = Infinity;
        // Ticks are scheduled lazily: one that comes early just reschedules itself.
        if (this.now < node.core.nextDeadline()) {
          this.scheduleTick(node, false);
          return;
        }
        this.interact(node.id, (core) => core.tick(this.now), true);
        return;
      }
    }
  }

  private interact(id: NodeId, fn: (core: ElectionCore) => void, isTick = false): void {
    const node = this.node(id);
    const core = node.core;
    if (core === null) return;
    this.safety.checkLeaseBetweenEvents(id, core.status(this.now).leaseValid, this.now);
    fn(core);
    this.afterEvent(node, isTick);
  }

  /** What the driver does after every call into the core: persist, then send, then report. */
  private afterEvent(node: SimNode, afterTick: boolean): void {
    const core = node.core!;
    const ready: Ready = core.ready();
    this.safety.checkReady(node.id, node.disk.hardState, ready, this.now);
    this.persist(node, ready);
    for (const msg of ready.messages) this.send(msg);
    if (this.keepSent) node.sent.push(...ready.messages);
    this.apply(node, ready.committed);
    for (const change of ready.roleChanges) {
      node.roleChanges.push({ ...change, at: this.now });
      if (this.trace) {
        this.note(
          `${node.id} ${change.role} t${change.term} leader=${change.leader} (${change.reason})`,
        );
      }
    }
    const status = core.status(this.now);
    this.safety.updateLease(
      node.id,
      { valid: status.leaseValid, until: status.leaseUntil },
      this.now,
    );
    if (afterTick && !(core.nextDeadline() > this.now)) {
      this.safety.violations.push(
        `t=${this.now}: ${node.id} deadline not in the future after tick`,
      );
      return;
    }
    this.scheduleTick(node, true);
  }

  /** Ready steps 1-3: snapshot, truncation, new entries, hard state; all "fsynced" at once. */
  private persist(node: SimNode, ready: Ready): void {
    const disk = node.disk;
    if (ready.snapshot !== null) {
      disk.snapshot = ready.snapshot;
      disk.entries = [];
      node.applied = [...(ready.snapshot.data as string[])];
      this.safety.checkSnapshot(node.id, node.applied, this.now);
    }
    if (ready.truncateFrom !== undefined) {
      const from = ready.truncateFrom;
      if (from <= disk.hardState.commit!) {
        this.safety.violations.push(
          `t=${this.now}: ${node.id} asked to truncate committed ${from}`,
        );
      }
      disk.entries = disk.entries.filter((e) => e.index < from);
    }
    for (const e of ready.entries) {
      const expected = (disk.entries.at(-1)?.index ?? disk.snapshot?.index ?? 0) + 1;
      if (e.index !== expected) {
        this.safety.violations.push(
          `t=${this.now}: ${node.id} asked to append ${e.index}, expected ${expected}`,
        );
      }
      disk.entries.push({ ...e });
    }
    if (ready.hardState !== null) disk.hardState = { ...ready.hardState };
    disk.hardState.commit ??= 0;
  }

  /** Ready step 5, then a snapshot and compaction once enough has been applied. */
  private apply(node: SimNode, committed: Entry[]): void {
    for (const e of committed) {
      if (e.index !== node.applied.length + 1) {
        this.safety.violations.push(
          `t=${this.now}: ${node.id} applied ${e.index} after ${node.applied.length}`,
        );
      }
      const key = applyKey(e);
      this.safety.checkApply(node.id, e.index, key, this.now);
      node.applied[e.index - 1] = key;
      this.onApply?.(node.id, e);
    }
    const snapAt = node.disk.snapshot?.index ?? 0;
    if (node.applied.length - snapAt >= this.compactEvery) {
      const index = node.applied.length;
      const data = [...node.applied];
      const snapshot = node.core!.compact(index, data);
      if (snapshot !== null) {
        node.disk.snapshot = { ...snapshot };
        node.disk.entries = node.disk.entries.filter((e) => e.index > index);
      }
    }
  }

  private scheduleTick(node: SimNode, onlyIfEarlier: boolean): void {
    const due = Math.max(node.core!.nextDeadline(), this.now);
    if (!Number.isFinite(due)) return;
    if (onlyIfEarlier && node.tickAt <= due) return;
    node.tickAt = due;
    node.tickToken++;
    this.queue.push(due, { kind: 'tick', node: node.id, token: node.tickToken });
  }

  private send(original: Message): void {
    const msg = this.rewrite === null ? original : this.rewrite(original);
    if (msg === null) return;
    const to = this.node(msg.to);
    if (to.core === null) return;
    for (const delay of this.network.arrivals(msg)) {
      this.queue.push(this.now + delay, { kind: 'deliver', msg, incarnation: to.incarnation });
    }
  }

  private note(line: string): void {
    this.trace?.push(`${this.now.toFixed(3)} ${line}`);
  }
}

function describe(msg: Message): string {
  const { type, from, to, term, cpu, ...rest } = msg;
  return `${type} ${from}->${to} t${term} cpu${cpu} ${JSON.stringify(rest)}`;
}
