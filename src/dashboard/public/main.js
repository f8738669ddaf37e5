/** @import { ClusterView, EventsView, OnlineView } from './api.js' */
import { getJson } from './api.js';
import { byId } from './dom.js';
import { renderClients, renderEvents, renderNodes, renderSummary } from './render.js';

/** The issue asks for updates within a second; half of that leaves room for a slow answer. */
const POLL_MS = 500;

/**
 * Every request goes to the node that served the page, which answers all three whether it leads
 * or not: a page opened on a follower keeps working while the leader is gone, and nothing is
 * cross-origin. The next round starts only after this one ends, so a slow node is not flooded.
 */
async function refresh() {
  const [cluster, events, online] = await Promise.all([
    /** @type {Promise<ClusterView>} */ (getJson('/cluster')),
    /** @type {Promise<EventsView>} */ (getJson('/cluster/events')),
    /** @type {Promise<OnlineView>} */ (getJson('/cluster/online')),
  ]);
  const self = servedBy(cluster);
  byId('served-by').textContent = self;
  renderSummary(cluster);
  renderNodes(cluster);
  renderClients(online);
  renderEvents(events.events, self);
}

/**
 * @param {ClusterView} cluster
 * @returns {string}
 */
function servedBy(cluster) {
  const here = cluster.nodes.find((n) => n.api !== null && new URL(n.api).host === location.host);
  return here?.node ?? location.host;
}

/**
 * @param {'connecting' | 'live' | 'stale'} state
 * @param {string} text
 */
function setStatus(state, text) {
  const status = byId('status');
  status.dataset.state = state;
  status.textContent = text;
}

async function loop() {
  try {
    await refresh();
    setStatus('live', `live · ${new Date().toLocaleTimeString([], { hour12: false })}`);
  } catch (err) {
    // Keep the last picture on screen, marked as old, and keep trying.
    setStatus('stale', `cannot reach this node (${/** @type {Error} */ (err).message}); retrying`);
  }
  setTimeout(() => void loop(), POLL_MS);
}

// The page says its script did not load until the script itself takes that back: the policy
// allows no inline script, and a module that fails to load runs nothing that could say so.
byId('no-script').remove();
setStatus('connecting', 'connecting…');
void loop();
