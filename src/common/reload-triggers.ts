import { unwatchFile, watchFile, type Stats } from 'node:fs';

/** How often watched files are looked at; polling sees an atomic rename, fs.watch may not. */
const POLL_MS = 500;
/** Changes this close together are one (a certificate and its key written one after the other). */
const SETTLE_MS = 300;

/** What made a reload happen, for its log lines. */
export type ReloadCause = 'SIGHUP' | 'a file changed';

/**
 * Calls `reload` on SIGHUP and when any of `files` changes (a few changes in a row count as
 * one); returns the function that stops both. Never keeps the process alive by itself.
 */
export function onReloadTriggers(
  files: readonly string[],
  reload: (cause: ReloadCause) => void,
): () => void {
  let settle: NodeJS.Timeout | null = null;
  const changed = (now: Stats, before: Stats) => {
    if (now.mtimeMs === before.mtimeMs && now.ino === before.ino && now.size === before.size) {
      return;
    }
    if (settle) clearTimeout(settle);
    settle = setTimeout(() => {
      settle = null;
      reload('a file changed');
    }, SETTLE_MS);
    settle.unref();
  };
  const unique = [...new Set(files)];
  for (const file of unique) watchFile(file, { interval: POLL_MS, persistent: false }, changed);
  const hangup = () => reload('SIGHUP');
  process.on('SIGHUP', hangup);
  return () => {
    process.off('SIGHUP', hangup);
    for (const file of unique) unwatchFile(file, changed);
    if (settle) clearTimeout(settle);
  };
}
