import type { TestCluster } from '../test/support/cluster';
import type { ProxyMesh } from '../test/support/fault-proxy';
import type { NodeProcess } from '../test/support/node-process';
import { now, pause } from './clock';
import type { MembershipFaults } from './membership-faults';
import { MEMBER_KINDS, type MemberKind } from './membership-plan';
import type { Prng } from './prng';
import type { Recorder } from './recorder';

export const FAULT_KINDS = [
  'partition',
  'isolate-leader',
  'one-way-cut',
  'loss',
  'delay',
  'kill-9',
  'sigstop',
  'graceful-restart',
  'load-shift',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const NETWORK: FaultKind[] = ['partition', 'isolate-leader', 'one-way-cut', 'loss', 'delay'];
const PROCESS: FaultKind[] = ['kill-9', 'sigstop', 'graceful-restart'];

/** A node that will not start (or stop) within this long is reported, not waited for forever. */
const START_TIMEOUT_MS = 20_000;
const EXIT_TIMEOUT_MS = 10_000;
const MAX_STEPS = 100_000;

/**
 * The seeded fault schedule. One step every few seconds: a network fault, a process fault, both
 * at once, or a load shift, held for a drawn time and then undone, with a healthy gap after
 * most steps. At most a minority of nodes is down or stopped at once, so that the workload makes
 * progress; network faults may still leave no majority anywhere (safety must hold regardless).
 */
export class Nemesis {
  /** Every process each node ran, in order, so that the logs of dead ones stay readable. */
  readonly incarnations: { node: number; proc: NodeProcess; startedAt: number }[] = [];
  /** Slots a process fault holds (down, stopped, restarting); membership steps add theirs. */
  readonly down = new Set<number>();
  private readonly openProcessFaults = new Map<number, () => void>();
  /** With --membership: the membership faults, and the members the other faults act on. */
  membership: MembershipFaults | null = null;

  constructor(
    private readonly cluster: TestCluster,
    private readonly recorder: Recorder,
    private readonly rng: Prng,
    private readonly leader: () => number | null,
    private readonly log: (line: string) => void,
  ) {
    cluster.nodes.forEach(
      (proc, node) => proc && this.incarnations.push({ node, proc, startedAt: recorder.startedAt }),
    );
  }

  private get mesh(): ProxyMesh {
    return this.cluster.mesh!;
  }

  /** The slots faults act on: the members (all the nodes, without membership faults). */
  private active(): number[] {
    return this.membership?.members() ?? this.cluster.ids.map((_, i) => i);
  }

  /** Voters now: process faults keep the nodes down to a minority of them. */
  private voterCount(): number {
    return this.membership?.voters.length ?? this.cluster.ids.length;
  }

  /**
   * Whether one more node may go down and leave a majority of the voters up: counting the nodes
   * a fault holds and any member with no process (one a membership step left down).
   */
  mayTakeDown(): boolean {
    const idle = this.active().filter((i) => !this.down.has(i) && !this.cluster.nodes[i]?.running);
    return this.down.size + idle.length < Math.floor((this.voterCount() - 1) / 2);
  }

  async run(untilMs: number, signal: AbortSignal): Promise<void> {
    // Kinds come from shuffled decks with a generator of their own, so that every kind shows up
    // in any run of a dozen steps, and the sequence of kinds follows from the seed alone (other
    // draws, such as which node is the leader, depend on timing).
    const kinds: (FaultKind | MemberKind)[] = [...FAULT_KINDS];
    if (this.membership) kinds.push(...MEMBER_KINDS);
    const deck = new Deck(this.rng.fork('kinds'), kinds);
    const extra = new Deck(this.rng.fork('extra'), [...NETWORK, ...PROCESS]);
    for (let step = 0; step < MAX_STEPS && now() < untilMs && !signal.aborted; step++) {
      const kind = deck.next();
      if (isMemberKind(kind)) {
        // Half the membership changes run during a partition, a kill or another fault.
        const tasks = [this.membership!.step(kind)];
        if (this.rng.chance(0.5)) tasks.push(this.apply(extra.next()));
        await Promise.all(tasks);
        if (this.rng.chance(0.7)) await pause(this.rng.between(500, 2500), signal);
        continue;
      }
      const tasks = [this.apply(kind)];
      // Now and then a network fault and a process fault at once: a kill during a partition.
      if (kind !== 'load-shift' && this.rng.chance(0.25)) {
        const other = extra.nextWhere((k) => NETWORK.includes(k) !== NETWORK.includes(kind));
        tasks.push(this.apply(other));
      }
      await Promise.all(tasks);
      // Healthy stretches let presence reach every node, which the discover check builds on.
      if (this.rng.chance(0.7)) await pause(this.rng.between(500, 2500), signal);
    }
  }

  private apply(kind: FaultKind): Promise<void> {
    if (kind === 'load-shift') return this.loadShift();
    return NETWORK.includes(kind) ? this.network(kind) : this.process(kind);
  }

  /** Undoes every fault: heals the mesh, continues stopped nodes and starts dead ones. */
  async healAll(): Promise<void> {
    this.mesh.heal();
    this.mesh.delayMs = 0;
    for (const i of this.active()) {
      const proc = this.cluster.nodes[i];
      if (proc?.running) proc.signal('SIGCONT');
      // A member never started yet is the membership's to start (with JOIN).
      if (proc && !proc.running) await this.restart(i);
    }
    for (const [i, close] of this.openProcessFaults) {
      if (this.cluster.nodes[i]?.running) close();
    }
    await this.membership?.heal();
  }

  private say(kind: FaultKind, detail: string): void {
    this.recorder.fault(kind, detail);
    this.log(`${kind.padEnd(16)} ${detail}`);
  }

  private pickNode(preferLeader: boolean): number {
    const leader = this.leader();
    const active = this.active();
    if (preferLeader && leader !== null && active.includes(leader)) return leader;
    return active[this.rng.int(0, active.length - 1)];
  }

  private async network(kind: FaultKind): Promise<void> {
    const ids = this.cluster.ids;
    const active = this.active();
    const hold = this.rng.between(800, 4000);
    switch (kind) {
      case 'partition': {
        const order = this.rng.shuffle(active);
        const cut = this.rng.int(1, active.length - 1);
        const groups = [order.slice(0, cut), order.slice(cut)];
        this.mesh.partition(...groups.map((g) => g.map((i) => ids[i])));
        this.say(kind, `${groups.map((g) => `{${g.join(',')}}`).join(' | ')} for ${ms(hold)}`);
        break;
      }
      case 'isolate-leader': {
        const node = this.pickNode(true);
        this.mesh.isolate(ids[node]);
        this.say(kind, `node ${node} for ${ms(hold)}`);
        break;
      }
      case 'one-way-cut': {
        const cuts = this.directions(this.rng.int(1, 3));
        for (const [a, b] of cuts) this.mesh.cut(ids[a], ids[b]);
        this.say(kind, `${cuts.map(([a, b]) => `${a}->${b}`).join(' ')} for ${ms(hold)}`);
        break;
      }
      case 'loss': {
        const p = this.rng.between(0.05, 0.5);
        const dirs = this.directions(this.rng.int(1, active.length));
        for (const [a, b] of dirs) this.mesh.setLoss(ids[a], ids[b], p);
        this.say(
          kind,
          `p=${p.toFixed(2)} on ${dirs.map(([a, b]) => `${a}->${b}`).join(' ')} for ${ms(hold)}`,
        );
        break;
      }
      case 'delay': {
        const dirs = this.directions(this.rng.int(1, active.length * 2));
        const delays = dirs.map(() => Math.round(this.rng.between(10, 150)));
        dirs.forEach(([a, b], k) => this.mesh.setDelay(ids[a], ids[b], delays[k]));
        this.say(
          kind,
          `${dirs.map(([a, b], k) => `${a}->${b}:${delays[k]}ms`).join(' ')} for ${ms(hold)}`,
        );
        break;
      }
      default:
        throw new Error(`not a network fault: ${kind}`);
    }
    await pause(hold);
    this.mesh.heal();
  }

  /** Distinct ordered pairs of active nodes. */
  private directions(count: number): [number, number][] {
    const all: [number, number][] = [];
    const active = this.active();
    for (const a of active) for (const b of active) if (a !== b) all.push([a, b]);
    return this.rng.shuffle(all).slice(0, count);
  }

  private async process(kind: FaultKind): Promise<void> {
    // A minority at most: more would stop the workload, which the network faults already test.
    if (!this.mayTakeDown()) return;
    const node = this.pickNode(this.rng.chance(0.5));
    if (this.down.has(node) || this.membership?.isBusy(node)) return;
    const proc = this.cluster.nodes[node];
    if (!proc?.running) return;
    this.down.add(node);
    const done = this.recorder.processFault(node);
    this.openProcessFaults.set(node, done);
    try {
      switch (kind) {
        case 'kill-9': {
          const downFor = this.rng.between(500, 4000);
          this.say(kind, `node ${node}${this.tag(node)}, restart after ${ms(downFor)}`);
          await proc.kill();
          await pause(downFor);
          await this.restart(node);
          break;
        }
        case 'sigstop': {
          const stopFor = this.rng.between(300, 3000);
          this.say(kind, `node ${node}${this.tag(node)}, SIGCONT after ${ms(stopFor)}`);
          proc.signal('SIGSTOP');
          await pause(stopFor);
          proc.signal('SIGCONT');
          break;
        }
        case 'graceful-restart': {
          this.say(kind, `node ${node}${this.tag(node)}: SIGTERM, then start again`);
          proc.signal('SIGTERM');
          const exited = await Promise.race([
            proc.exited.then(() => true),
            pause(EXIT_TIMEOUT_MS).then(() => false),
          ]);
          if (!exited) {
            this.recorder.anomalies.push(
              `node ${node} did not exit within ${EXIT_TIMEOUT_MS} ms of SIGTERM; killed`,
            );
            await proc.kill();
          }
          await this.restart(node);
          break;
        }
        default:
          throw new Error(`not a process fault: ${kind}`);
      }
    } finally {
      this.down.delete(node);
    }
    if (this.cluster.nodes[node]?.running) {
      done();
      this.openProcessFaults.delete(node);
    }
  }

  private tag(node: number): string {
    return this.leader() === node ? ' (leader)' : '';
  }

  /** Starts node `i` again on its data dir and waits until it serves; reports a failure. */
  private async restart(i: number): Promise<void> {
    const proc = this.cluster.startNode(i);
    this.incarnations.push({ node: i, proc, startedAt: now() });
    try {
      await proc.waitUntilServing(START_TIMEOUT_MS);
    } catch (err) {
      this.recorder.anomalies.push(`node ${i} failed to start again: ${(err as Error).message}`);
      this.log(`node ${i} failed to start again: ${(err as Error).message}`);
    }
  }

  private async loadShift(): Promise<void> {
    const loads = this.cluster.ids.map(() => this.rng.int(0, 100));
    loads.forEach((load, i) => this.cluster.setLoad(i, load));
    this.say('load-shift', `loads ${loads.join(',')}`);
    await pause(this.rng.between(500, 2000));
  }
}

function isMemberKind(kind: string): kind is MemberKind {
  return (MEMBER_KINDS as readonly string[]).includes(kind);
}

/** Draws every item once in a shuffled order, then reshuffles. */
class Deck<T> {
  private order: T[] = [];

  constructor(
    private readonly rng: Prng,
    private readonly items: readonly T[],
  ) {}

  next(): T {
    if (this.order.length === 0) this.order = this.rng.shuffle(this.items);
    return this.order.shift()!;
  }

  /** The next item that fits; bounded by one reshuffle, which holds every item. */
  nextWhere(fits: (item: T) => boolean): T {
    for (let i = 0; i < 2 * this.items.length; i++) {
      const item = this.next();
      if (fits(item)) return item;
    }
    throw new Error('no item fits');
  }
}

function ms(t: number): string {
  return `${Math.round(t)} ms`;
}
