import type { Entry, HardState, Snapshot } from './core-options';
import type { MemberRole, MembershipConfig } from './membership';
import type { Message, NodeId } from './messages';

/** The node's Raft state; pre-candidate is pre-vote's probe, shown outside the core as candidate. */
export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export interface RoleChange {
  role: RaftRole;
  term: number;
  leader: NodeId | null;
  reason: string;
}

/**
 * Everything the driver must act on since the previous ready(). The contract, in this order:
 *
 * 1. `snapshot` (when set): persist it and replace the whole stored log with it (every stored
 *    entry is dropped), then load it into the state machine.
 * 2. `truncateFrom` (when set): drop every stored entry with index >= truncateFrom.
 * 3. `entries`: append them, then persist `hardState` when set; fsync both. Only then:
 * 4. send `messages` (a vote, an acknowledgement or an AppendEntries may depend on 1-3);
 * 5. apply `committed` to the state machine, in order (skip `data === null`: a leader's no-op);
 * 6. act on `roleChanges`.
 *
 * ready() marks everything it returns as handed over; there is no separate advance(). A driver
 * that cannot persist must stop (fail-stop) rather than send or apply.
 */
export interface Ready {
  /** Non-null when term, vote or commit changed. */
  hardState: Required<HardState> | null;
  /** A snapshot received from the leader, to persist and load; null otherwise. */
  snapshot: Snapshot | null;
  /** When set, the stored log's suffix from this index on conflicts and must go first. */
  truncateFrom?: number;
  /** New log entries to append durably, consecutive indexes. */
  entries: Entry[];
  /** Newly committed entries to apply, in index order. */
  committed: Entry[];
  messages: Message[];
  roleChanges: RoleChange[];
}

export interface PeerStatus {
  id: NodeId;
  /** Last machine load heard from or about this peer, null if never. */
  cpu: number | null;
  /** Last background load (machine minus its rollcall process) heard, null if never. */
  background: number | null;
  /** Monotonic ms of the last message received from this peer. */
  lastContact: number | null;
  /** Set by peerUnreachable, cleared by the next message from the peer. */
  unreachableSince: number | null;
  /** Leader only: the follower's log matches ours up to here (null when not leading). */
  matchIndex: number | null;
}

export interface Status {
  id: NodeId;
  role: RaftRole;
  term: number;
  votedFor: NodeId | null;
  leader: NodeId | null;
  /** The one test for leader-only work at `now`. */
  leaseValid: boolean;
  /** Leader only: when the lease the acknowledged heartbeats back runs out; null when none. */
  leaseUntil: number | null;
  /** Leader only: the follower being handed leadership, null when not transferring. */
  transferTarget: NodeId | null;
  /** This node's load as last set: the machine's, and that minus this process (compared). */
  cpu: number;
  background: number;
  /** Every other member (voters and learners), in address order. */
  peers: PeerStatus[];
  /** Log position: first and last index held, commit and applied (handed out in Ready). */
  firstIndex: number;
  lastIndex: number;
  lastTerm: number;
  commit: number;
  applied: number;
  /** The leader's commit index as last heard (our own when leading). */
  leaderCommit: number;
  /** The membership in force (the latest configuration appended) and this node's part in it. */
  membership: MembershipConfig;
  selfRole: MemberRole;
  /** Leader only: removed members still being sent the entry that removed them. */
  departing: NodeId[];
}
