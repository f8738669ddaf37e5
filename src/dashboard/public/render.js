/** @import { ClusterEvent, ClusterView, NodeView, OnlineView } from './api.js' */
import { byId, fillList, fillTable, h } from './dom.js';
import { age, clock, percent } from './format.js';

/** @param {ClusterView} cluster */
export function renderSummary(cluster) {
  byId('leader').textContent = cluster.leader ?? 'electing…';
  byId('term').textContent = String(cluster.term);
  byId('registered').textContent = String(cluster.registered_count);
  byId('online-count').textContent = String(cluster.online_count);
}

/** @param {ClusterView} cluster */
export function renderNodes(cluster) {
  const rows = cluster.nodes.map((n) => nodeRow(n, n.node === cluster.leader));
  fillTable('nodes', rows, 'no nodes reported', 7);
}

/**
 * @param {NodeView} n
 * @param {boolean} isLeader
 * @returns {HTMLElement}
 */
function nodeRow(n, isLeader) {
  const row = h(
    'tr',
    null,
    h('td', 'mono', n.node),
    h(
      'td',
      null,
      h('span', `badge ${n.role}`, n.role),
      n.reachable ? null : h('span', 'badge unreachable', 'unreachable'),
    ),
    h('td', 'num', n.term === null ? '—' : String(n.term)),
    h('td', null, cpuCell(n.cpu, n.background)),
    h('td', 'num', age(n.last_contact_ms)),
    h('td', 'num', n.heartbeats_per_s == null ? '—' : String(n.heartbeats_per_s)),
    h('td', 'mono', n.api ?? '—'),
  );
  row.classList.toggle('is-leader', isLeader);
  row.classList.toggle('is-unreachable', !n.reachable);
  // For tests and scripts: what the row shows, without parsing its text.
  row.dataset.node = n.node;
  row.dataset.role = n.role;
  row.dataset.leader = String(isLeader);
  row.dataset.reachable = String(n.reachable);
  return row;
}

/**
 * One bar for the machine: its background load solid, the node's own share lighter after it.
 * @param {number | null} cpu
 * @param {number | null} background
 * @returns {HTMLElement}
 */
function cpuCell(cpu, background) {
  /** @param {number | null} v */
  const widthOf = (v) => `${Math.min(100, Math.max(0, v ?? 0))}%`;
  const other = h('div', 'cpu-fill');
  other.style.setProperty('width', widthOf(background));
  const own = h('div', 'cpu-fill own');
  own.style.setProperty('width', widthOf((cpu ?? 0) - (background ?? 0)));
  const text = `${percent(cpu)} / ${percent(background)}`;
  return h('div', 'cpu', h('div', 'cpu-bar', other, own), text);
}

/** @param {OnlineView} online */
export function renderClients(online) {
  const rows = online.online_clients.map((c) =>
    h(
      'tr',
      null,
      h('td', null, c.username),
      h('td', 'mono', c.addr),
      h('td', 'num', age(c.last_seen_ms_ago)),
    ),
  );
  const shown = online.online_clients.length;
  byId('clients-note').textContent =
    shown < online.count ? `(latest ${shown} of ${online.count})` : '';
  fillTable('clients', rows, 'nobody online', 3);
}

/**
 * @param {ClusterEvent[]} events
 * @param {string} servedBy
 */
export function renderEvents(events, servedBy) {
  const items = events.map((e) =>
    h(
      'li',
      null,
      h('time', null, clock(e.at)),
      h('span', `kind ${e.kind}`, e.kind),
      h('span', null, e.message),
    ),
  );
  byId('events-note').textContent = `(as seen by ${servedBy})`;
  fillList('events', items, 'nothing yet');
}
