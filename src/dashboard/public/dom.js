/** @typedef {Node | string | null} Child */

/**
 * A tiny element builder: text goes in as text nodes, so names from clients cannot inject HTML.
 *
 * @param {string} tag
 * @param {string | null} className
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function h(tag, className, ...children) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  for (const child of children) if (child !== null) el.append(child);
  return el;
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/**
 * Swaps a table body's rows in one step, so the page never shows a half-drawn table.
 *
 * @param {string} id
 * @param {HTMLElement[]} rows
 * @param {string} emptyText
 * @param {number} columns
 * @returns {void}
 */
export function fillTable(id, rows, emptyText, columns) {
  if (rows.length > 0) return byId(id).replaceChildren(...rows);
  const cell = /** @type {HTMLTableCellElement} */ (h('td', null, emptyText));
  cell.colSpan = columns;
  byId(id).replaceChildren(h('tr', 'empty', cell));
}

/**
 * @param {string} id
 * @param {HTMLElement[]} items
 * @param {string} emptyText
 * @returns {void}
 */
export function fillList(id, items, emptyText) {
  byId(id).replaceChildren(...(items.length > 0 ? items : [h('li', 'empty', emptyText)]));
}
