export type ClusterEventKind = 'election' | 'transfer' | 'online' | 'expiry';

/** One line of the recent-events feed, as GET /cluster/events serves it. */
export interface ClusterEvent {
  /** Wall-clock ISO time of the event (of the first one, for a batch). */
  at: string;
  kind: ClusterEventKind;
  /** The node that saw it: each node keeps its own feed. */
  node: string;
  term: number;
  message: string;
  /** How many presence changes this line stands for (1 for elections and transfers). */
  count: number;
}
