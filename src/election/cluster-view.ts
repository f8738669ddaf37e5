import type { PeerStatus, Status } from './consensus/core-output';
import { toPublicRole } from './leadership-state';

export type PeerRole = 'leader' | 'follower' | 'candidate' | 'unknown';

/** One member as this node sees it: its own row exact, the others as last heard. */
export interface MemberView {
  node: string;
  /** HTTP base URL; null for a peer not heard from yet. */
  api: string | null;
  role: PeerRole;
  /** Null for a peer whose term this node cannot vouch for. */
  term: number | null;
  /** The machine's CPU load 0-100 as last heard; null if never. */
  cpu: number | null;
  /** That minus the node's own rollcall process, as last heard: what elections compare. */
  background: number | null;
  /** Since anything (election message or keepalive) was last heard; 0 for this node. */
  last_contact_ms: number | null;
  reachable: boolean;
}

export interface ClusterView {
  nodes: MemberView[];
  leader: string | null;
  term: number;
}

/** The part of the core's status the view needs. */
export type StatusForView = Pick<Status, 'role' | 'term' | 'leader' | 'cpu' | 'background'> & {
  peers: Pick<PeerStatus, 'id' | 'cpu' | 'background' | 'lastContact' | 'unreachableSince'>[];
};

export interface PeerSignals {
  api: (peer: string) => string | null;
  /** Monotonic ms of the last frame of any kind from the peer, or null. */
  heardAt: (peer: string) => number | null;
  /** Whether our outbound link is up; undefined when the transport cannot tell. */
  connected: (peer: string) => boolean | undefined;
  /** Longest silence a live peer may keep. */
  silenceLimitMs: number;
}

/** Builds the cluster as this node knows it from the core's status and the driver's signals. */
export function buildClusterView(
  s: StatusForView,
  self: { node: string; api: string },
  signals: PeerSignals,
  now: number,
): ClusterView {
  const own: MemberView = {
    node: self.node,
    api: self.api,
    role: toPublicRole(s.role),
    term: s.term,
    cpu: s.cpu,
    background: s.background,
    last_contact_ms: 0,
    reachable: true,
  };
  const peers = s.peers.map((p): MemberView => {
    const heard = latest(p.lastContact, signals.heardAt(p.id));
    const ageMs = heard === null ? null : Math.max(0, Math.round(now - heard));
    // The core clears its mark only on an election message, which a fellow follower may never
    // send; a keepalive heard since the refusal proves the peer back all the same.
    const refused = p.unreachableSince !== null && (heard === null || heard <= p.unreachableSince);
    const reachable =
      !refused &&
      ageMs !== null &&
      ageMs <= signals.silenceLimitMs &&
      signals.connected(p.id) !== false;
    const isLeader = p.id === s.leader;
    // A follower we lead acknowledges our term; a peer's own term is otherwise not ours to say.
    const vouched = isLeader || (s.role === 'leader' && reachable);
    return {
      node: p.id,
      api: signals.api(p.id),
      role: isLeader ? 'leader' : reachable && s.leader !== null ? 'follower' : 'unknown',
      term: vouched ? s.term : null,
      cpu: p.cpu,
      background: p.background,
      last_contact_ms: ageMs,
      reachable,
    };
  });
  const nodes = [own, ...peers].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return { nodes, leader: s.leader, term: s.term };
}

function latest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}
