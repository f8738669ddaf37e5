/** The JSON the page reads, all from the node that served it. */

export interface NodeView {
  node: string;
  api: string | null;
  /** `unknown` for a peer this node cannot vouch for. */
  role: string;
  term: number | null;
  /** The machine's load; `background` is that minus the node's rollcall process. */
  cpu: number | null;
  background: number | null;
  last_contact_ms: number | null;
  reachable: boolean;
}

export interface ClusterView {
  nodes: NodeView[];
  leader: string | null;
  term: number;
  registered_count: number;
  online_count: number;
}

export interface ClusterEvent {
  at: string;
  kind: string;
  node: string;
  term: number;
  message: string;
  count: number;
}

export interface EventsView {
  events: ClusterEvent[];
}

export interface OnlineClient {
  username: string;
  addr: string;
  last_seen_ms_ago: number;
}

export interface OnlineView {
  online_clients: OnlineClient[];
  count: number;
}

/** A request that hangs (its node stopped mid-answer) must not stall the page's polling. */
const REQUEST_TIMEOUT_MS = 2000;

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, {
    cache: 'no-store',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
