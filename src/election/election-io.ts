import type { Entry, HardState, Snapshot } from './consensus/core-options';
import type { NodeLoad } from './consensus/load-rank';
import type { Envelope } from './transport/envelope';

/** What the transport hands the election: frames from peers, and peers it cannot reach. */
export interface TransportHandlers {
  message: (envelope: Envelope) => void;
  unreachable: (peer: string, refused: boolean) => void;
  /** A keepalive from a peer: proof its process and link are up, for GET /cluster. */
  ping?: (envelope: Envelope) => void;
}

/** What the election driver needs from the network; TcpTransport in production. */
export interface ElectionTransport {
  start(handlers: TransportHandlers): Promise<void>;
  send(message: { to: string }): boolean;
  /**
   * The same for a message already serialized: `json` is its JSON, addressed to `to` (PeerChannel
   * sends this way, so that a message is built and serialized once).
   */
  sendJson(to: string, json: string): boolean;
  /** The members to dial changed (membership); absent in transports with fixed peers. */
  setPeers?(peers: readonly string[]): void;
  /** Whether the outbound link to `peer` is up; absent in transports that cannot tell. */
  isConnected?(peer: string): boolean;
  stop(): Promise<void>;
}

/**
 * Raft's hard state: term, vote and commit index; durable when save() returns. HardStateFile in
 * production.
 */
export interface HardStateStore {
  load(): HardState;
  save(state: HardState): void;
}

/** This node's load over the time since the last sample (see NodeLoad). CpuSampler in production. */
export interface LoadSampler {
  sample(): NodeLoad;
}

/** Stops the process: for failures after which going on could break safety. */
export type FatalHandler = (reason: string, err: unknown) => void;

export const ELECTION_TRANSPORT = Symbol('ELECTION_TRANSPORT');
export const HARD_STATE_STORE = Symbol('HARD_STATE_STORE');
export const LOAD_SAMPLER = Symbol('LOAD_SAMPLER');
export const FATAL_HANDLER = Symbol('FATAL_HANDLER');

export type { Envelope };

/** The replicated log on disk. RaftLogFile in production. */
export interface DurableLog {
  open(): Promise<{ snapshot: Snapshot | null; entries: Entry[] }>;
  append(entries: Entry[], truncateFrom?: number): Promise<void>;
  installSnapshot(snapshot: Snapshot): Promise<void>;
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the log is applied to: the registry. Deterministic, fed in index order. `R` is its answer
 * to an entry, which the entry's proposer receives.
 */
export interface StateMachine<R = unknown> {
  /**
   * Applies one committed entry (data null: a leader's no-op). `data` came from disk or a peer,
   * so the machine checks it itself.
   */
  apply(index: number, data: unknown): R;
  snapshot(): unknown;
  restore(index: number, data: unknown): void;
}

export const DURABLE_LOG = Symbol('DURABLE_LOG');
