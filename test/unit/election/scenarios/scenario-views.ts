import type { Entry } from './core-glue';
import { formatEntries, formatSnapshot, formatStatus, formatTime } from './raft-format';
import type { ScenarioEnv } from './scenario-env';
import type { ScenarioNode } from './scenario-node';

/** `status [<id>...]`: each node's own view (all nodes when none is named). */
export function statusLines(env: ScenarioEnv, args: string[]): string[] {
  const ids = args.length === 0 ? env.ids : args;
  const lines = [`now=${formatTime(env.now)}`];
  for (const id of ids) {
    const node = env.node(id);
    if (node.core === null) lines.push(`${id} down`);
    else lines.push(...formatStatus(node.core.status(env.now), node.core.nextDeadline()));
  }
  return lines;
}

/** `log <id>`: the node's log as persisted, entry by entry, then its commit index. */
export function logLines(env: ScenarioEnv, args: string[]): string[] {
  const node = env.node(args[0]);
  const { snapshot, entries } = node.disk;
  const head = snapshot === null ? [] : [`snapshot ${formatSnapshot(snapshot)}`];
  const body = entries.length === 0 ? ['no entries'] : [formatEntries(entries)];
  return [...head, ...body, commitLine(node)];
}

function commitLine(node: ScenarioNode): string {
  if (node.core === null) return `commit=${node.disk.hardState.commit} (down)`;
  const s = node.core.status(0);
  return `commit=${s.commit} applied=${s.applied}`;
}

/**
 * `logs`: every node's log as in the Raft paper's figures, one row of terms per node under a
 * row of indexes; `-` is an index covered by the node's snapshot, `*` follows the commit index.
 */
export function logsFigure(env: ScenarioEnv): string[] {
  const rows = env.ids.map((id) => ({ id, cells: termsByIndex(env.node(id)) }));
  const width = Math.max(...rows.map((r) => r.cells.length), 1);
  const cellWidth = String(width).length;
  const pad = (s: string) => s.padStart(cellWidth);
  const indexes = Array.from({ length: width }, (_, i) => pad(String(i + 1)));
  const lines = [`index: ${indexes.join(' ')}`];
  for (const row of rows) {
    const node = env.node(row.id);
    const commit = node.core?.status(0).commit ?? node.disk.hardState.commit;
    const cells = row.cells.map((c, i) => pad(c) + (i + 1 === commit ? '*' : ' '));
    const down = node.core === null ? ' (down)' : '';
    lines.push(`${row.id}:     ${cells.join('').trimEnd()}${down}`.replace(/ +$/, ''));
  }
  return lines;
}

function termsByIndex(node: ScenarioNode): string[] {
  const { snapshot, entries } = node.disk;
  const covered = Array.from({ length: snapshot?.index ?? 0 }, () => '-');
  return [...covered, ...entries.map((e: Entry) => String(e.term))];
}
