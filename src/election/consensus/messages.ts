import type { MembershipConfig } from './membership';

/** A peer's election address, `host:port`; also its identity in the election. */
export type NodeId = string;

/** Carried by every message: the sender's load travels everywhere so ranks stay fresh. */
interface MessageHeader {
  from: NodeId;
  to: NodeId;
  term: number;
  /** The sender's machine's CPU load, 0..100. */
  cpu: number;
  /**
   * The sender's background load, 0..100: `cpu` minus its own process's share (see NodeLoad).
   * A peer of the previous version leaves it out; its `cpu` then stands for it.
   */
  background?: number;
}

/** Asks whether the sender could win; `term` is the sender's term + 1, which it has not adopted. */
export interface PreVote extends MessageHeader {
  type: 'PreVote';
  lastLogIndex: number;
  lastLogTerm: number;
}

/** A grant carries the pre-vote's term; a refusal carries the responder's own term. */
export interface PreVoteResponse extends MessageHeader {
  type: 'PreVoteResponse';
  granted: boolean;
}

export interface RequestVote extends MessageHeader {
  type: 'RequestVote';
  lastLogIndex: number;
  lastLogTerm: number;
  /** Set by a leadership-transfer target: voters then ignore leader stickiness. */
  transfer: boolean;
  /**
   * With `transfer`: when the handing-over leader revoked its lease (its clock, from
   * TimeoutNow). Heartbeats it sent up to then no longer back any lease, so voters need not
   * make the winner wait for them.
   */
  leaseRevokedAt: number | null;
}

export interface RequestVoteResponse extends MessageHeader {
  type: 'RequestVoteResponse';
  granted: boolean;
  /**
   * How long (ms, from the moment of sending) an acknowledgement this voter gave an earlier
   * leader may still back that leader's lease. The winner holds no lease before it has passed.
   */
  leaseWaitMs: number;
}

/** A log record on the wire: the same shape as in the log. */
export interface WireEntry {
  index: number;
  term: number;
  data: unknown;
}

/**
 * The wire names of AppendEntries and its answer: "Heartbeat" and "HeartbeatResponse", as they
 * were called before. Nodes of earlier versions know them only by these names, so the strings
 * never change; the TypeScript names say what the messages are.
 */
export const APPEND_ENTRIES = 'Heartbeat';
export const APPEND_ENTRIES_RESPONSE = 'HeartbeatResponse';

/**
 * AppendEntries (Raft §5.3) that also carries the lease and the loads; with no entries it is a
 * plain heartbeat. `entries` follow `prevLogIndex` with consecutive indexes.
 */
export interface AppendEntries extends MessageHeader {
  type: typeof APPEND_ENTRIES;
  prevLogIndex: number;
  prevLogTerm: number;
  entries: WireEntry[];
  leaderCommit: number;
  /** The leader's monotonic send time, echoed back so the lease counts from sending. */
  sentAt: number;
  /** The loads the leader knows of the other peers, so followers rank themselves on fresh data. */
  loads: Record<NodeId, number>;
  /** Their background loads, beside `loads` (machine); absent from a previous-version leader. */
  backgrounds?: Record<NodeId, number>;
  /**
   * False while the leader hands over: it will never count this heartbeat toward a lease, so
   * acknowledging it binds the follower to nothing.
   */
  countsForLease: boolean;
}

export interface AppendEntriesResponse extends MessageHeader {
  type: typeof APPEND_ENTRIES_RESPONSE;
  /** The `sentAt` of the AppendEntries being answered. */
  sentAt: number;
  /** The follower's last log index. */
  lastLogIndex: number;
  /** Whether the follower's log matched at prevLogIndex (or installed the snapshot). */
  success: boolean;
  /**
   * With success: the follower's log matches the leader's up to here. Without: a hint, the
   * highest index at which it may still match, so the leader backs off a whole term at once.
   */
  matchIndex: number;
}

/**
 * Sent instead of AppendEntries to a follower that needs entries the leader compacted away.
 * Counts like a heartbeat (lease, loads); answered with an AppendEntriesResponse.
 */
export interface InstallSnapshot extends MessageHeader {
  type: 'InstallSnapshot';
  sentAt: number;
  loads: Record<NodeId, number>;
  backgrounds?: Record<NodeId, number>;
  countsForLease: boolean;
  snapshotIndex: number;
  snapshotTerm: number;
  data: unknown;
  /** The membership at snapshotIndex; absent from a leader of an earlier version. */
  membership?: MembershipConfig;
  leaderCommit: number;
}

/** From the leader to its chosen successor: start an election now, without pre-vote. */
export interface TimeoutNow extends MessageHeader {
  type: 'TimeoutNow';
  /** The leader's clock when it revoked its lease for this hand-over. */
  leaseRevokedAt: number;
}

export type Message =
  | PreVote
  | PreVoteResponse
  | RequestVote
  | RequestVoteResponse
  | AppendEntries
  | AppendEntriesResponse
  | InstallSnapshot
  | TimeoutNow;

export type MessageType = Message['type'];
