/**
 * The JSON the page reads, all from the node that served it.
 *
 * @typedef {object} NodeView
 * @property {string} node
 * @property {string | null} api
 * @property {string} role `unknown` for a peer this node cannot vouch for.
 * @property {number | null} term
 * @property {number | null} cpu The machine's load.
 * @property {number | null} background The machine's load minus the node's rollcall process.
 * @property {number | null} last_contact_ms
 * @property {boolean} reachable
 * @property {number | null} [heartbeats_per_s] Heartbeats it accepted per second, where known.
 *
 * @typedef {object} ClusterView
 * @property {NodeView[]} nodes
 * @property {string | null} leader
 * @property {number} term
 * @property {number} registered_count
 * @property {number} online_count
 *
 * @typedef {object} ClusterEvent
 * @property {string} at
 * @property {string} kind
 * @property {string} node
 * @property {number} term
 * @property {string} message
 * @property {number} count
 *
 * @typedef {object} EventsView
 * @property {ClusterEvent[]} events
 *
 * @typedef {object} OnlineClient
 * @property {string} username
 * @property {string} addr
 * @property {number} last_seen_ms_ago
 *
 * @typedef {object} OnlineView
 * @property {OnlineClient[]} online_clients
 * @property {number} count
 */

/** A request that hangs (its node stopped mid-answer) must not stall the page's polling. */
const REQUEST_TIMEOUT_MS = 2000;

/**
 * @template T
 * @param {string} path
 * @returns {Promise<T>}
 */
export async function getJson(path) {
  const res = await fetch(path, {
    cache: 'no-store',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  /** @type {unknown} the shape the caller names: this page's own node answers */
  const body = await res.json();
  return /** @type {T} */ (body);
}
