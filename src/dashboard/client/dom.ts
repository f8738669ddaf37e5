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

/** Swaps a table body's rows in one step, so the page never shows a half-drawn table. */
export function fillTable(
  id: string,
  rows: HTMLElement[],
  emptyText: string,
  columns: number,
): void {
  if (rows.length > 0) return byId(id).replaceChildren(...rows);
  const cell = h('td', null, emptyText) as HTMLTableCellElement;
  cell.colSpan = columns;
  byId(id).replaceChildren(h('tr', 'empty', cell));
}

export function fillList(id: string, items: HTMLElement[], emptyText: string): void {
  byId(id).replaceChildren(...(items.length > 0 ? items : [h('li', 'empty', emptyText)]));
}
