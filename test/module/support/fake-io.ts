import type { Entry, HardState, Snapshot } from '../../../src/election/consensus/core-options';
import type { NodeLoad } from '../../../src/election/consensus/load-rank';
import type {
  DurableLog,
  ElectionTransport,
  HardStateStore,
  LoadSampler,
  TransportHandlers,
} from '../../../src/election/election-io';
import type { Envelope } from '../../../src/election/transport/envelope';

/** The election's network in memory: keeps what the node sends, delivers what a test writes. */
export class MemoryTransport implements ElectionTransport {
  readonly sent: { to: string; type?: unknown }[] = [];
  private handlers: TransportHandlers | null = null;

  start(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers;
    return Promise.resolve();
  }

  send(message: { to: string }): boolean {
    this.sent.push(message);
    return true;
  }

  /** Kept as the object the JSON makes, as a peer would read it. */
  sendJson(to: string, json: string): boolean {
    return this.send({ ...(JSON.parse(json) as object), to });
  }

  stop(): Promise<void> {
    this.handlers = null;
    return Promise.resolve();
  }

  /** Hands `envelope` to the node as if it had arrived from `envelope.from`. */
  deliver(envelope: Envelope): void {
    if (!this.handlers) throw new Error('the transport has not been started');
    this.handlers.message(envelope);
  }
}

/** Term and vote in memory. */
export class MemoryHardStateStore implements HardStateStore {
  private state: HardState = { term: 0, votedFor: null };
  load(): HardState {
    return this.state;
  }
  save(state: HardState): void {
    this.state = { ...state };
  }
}

/** The replicated log in memory, with the file's append and truncate semantics. */
export class MemoryLog implements DurableLog {
  private entries: Entry[] = [];
  private snapshot: Snapshot | null = null;

  open(): Promise<{ snapshot: Snapshot | null; entries: Entry[] }> {
    return Promise.resolve({ snapshot: this.snapshot, entries: [...this.entries] });
  }
  append(entries: Entry[], truncateFrom?: number): Promise<void> {
    if (truncateFrom !== undefined)
      this.entries = this.entries.filter((e) => e.index < truncateFrom);
    this.entries.push(...entries);
    return Promise.resolve();
  }
  installSnapshot(snapshot: Snapshot): Promise<void> {
    this.snapshot = snapshot;
    this.entries = this.entries.filter((e) => e.index > snapshot.index);
    return Promise.resolve();
  }
  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.installSnapshot(snapshot);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** An idle machine. */
export const idleLoad: LoadSampler = { sample: (): NodeLoad => ({ machine: 0, background: 0 }) };
