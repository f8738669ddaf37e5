import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from './args';
import { killAllNodes, runChaos, stopAllClusters } from './chaos-run';
import { summary, writeResult } from './report';

/** `npm run chaos -- --nodes 5 --seconds 300 --seed N`: exit 0 only with 0 violations. */
async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  // Whatever ends the runner, its node processes go with it.
  process.on('exit', killAllNodes);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAllNodes();
      // Then the proxies and temp directories, but never hang on the way out.
      setTimeout(() => process.exit(130), 5000).unref();
      void stopAllClusters().finally(() => process.exit(130));
    });
  }
  const started = Date.now();
  const root = join(__dirname, '..', '..');
  const commit = commitOf(root);
  const result = await runChaos({ ...args, log: (line) => console.log(line) });
  console.log(summary(result));
  const file = writeResult(join(root, 'chaos', 'results'), result, commit);
  console.log(`result: ${file} (${Math.round((Date.now() - started) / 1000)} s)`);
  return result.violations === 0 && result.incomplete.length === 0 ? 0 : 1;
}

function commitOf(root: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  } catch {
    return 'unknown';
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    killAllNodes();
    process.exit(2);
  },
);
