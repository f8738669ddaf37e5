type Child = Node | string | null;

/** A tiny element builder: text goes in as text nodes, so names from clients cannot inject HTML. */
export function h(tag: string, className: string | null, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  if (className) el.className = className;
  for (const child of children) if (child !== null) el.append(child);
  return el;
}

export function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/** Swaps a container's content in one step, so the page never shows a half-drawn table. */
export function fill(id: string, rows: Node[], emptyText: string, columns = 1): void {
  const target = byId(id);
  if (rows.length > 0) {
    target.replaceChildren(...rows);
    return;
  }
  const empty = h(target.tagName === 'TBODY' ? 'tr' : 'li', 'empty');
  const cell =
    target.tagName === 'TBODY' ? h('td', null, emptyText) : document.createTextNode(emptyText);
  if (cell instanceof HTMLTableCellElement) cell.colSpan = columns;
  empty.append(cell);
  target.replaceChildren(empty);
}
