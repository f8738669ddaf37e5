import { join } from 'node:path';
import { Child } from './children';
import { freePorts } from './ports';
import { waitFor } from './time';

/**
 * Starts a compiled reference server (`.bench-build/bench/<script>`) and waits for it to listen,
 * on `env.PORT` when given (ports the caller took at once), else on a port the OS calls free.
 */
export async function startReferenceServer(
  repo: string,
  script: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ child: Child; port: number }> {
  const port = env.PORT !== undefined ? Number(env.PORT) : (await freePorts(1))[0];
  const child = new Child(
    'reference',
    process.execPath,
    [join(repo, '.bench-build', 'bench', script)],
    { PATH: process.env.PATH, PORT: String(port), ...env },
  );
  await waitFor(
    'the reference server',
    () => Promise.resolve(child.tail.includes('listening')),
    timeoutMs,
  );
  return { child, port };
}
