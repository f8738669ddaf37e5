import type { NodeProcess } from './node-process';

/**
 * Every node's role changes as its log has them ("... (reason: ...)"), each line led by the
 * node's index: what a test shows when leadership moved while it expected none, so the failure
 * says why.
 */
export function roleChanges(nodes: readonly (NodeProcess | null | undefined)[]): string[] {
  return nodes.flatMap(
    (node, i) =>
      node?.lines.filter((l) => l.includes('(reason: ')).map((l) => `node ${i}: ${l}`) ?? [],
  );
}
