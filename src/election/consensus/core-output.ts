import type { HardState } from './core-options';
import type { Message, NodeId } from './messages';

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export interface RoleChange {
  role: Role;
  term: number;
  leader: NodeId | null;
  reason: string;
}

/** Everything the driver must act on since the previous ready(), in this order. */
export interface Ready {
  /** Non-null when term or vote changed: persist (fsync) it BEFORE sending `messages`. */
  hardState: HardState | null;
  messages: Message[];
  roleChanges: RoleChange[];
}

export interface PeerStatus {
  id: NodeId;
  /** Last load heard from or about this peer, null if never. */
  cpu: number | null;
  /** Monotonic ms of the last message received from this peer. */
  lastContact: number | null;
  /** Set by peerUnreachable, cleared by the next message from the peer. */
  unreachableSince: number | null;
}

export interface Status {
  id: NodeId;
  role: Role;
  term: number;
  votedFor: NodeId | null;
  leader: NodeId | null;
  /** The one test for leader-only work at `now`. */
  leaseValid: boolean;
  /** Leader only: when the lease the acknowledged heartbeats back runs out; null when none. */
  leaseUntil: number | null;
  /** Leader only: the follower being handed leadership, null when not transferring. */
  transferTarget: NodeId | null;
  cpu: number;
  /** Every other member, in address order. */
  peers: PeerStatus[];
}
