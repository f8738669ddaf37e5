import { run } from '../../src/ops-cli/program';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/**
 * `rollcall ...args` run in this process (the program of dist/ops-cli/main.js), with the
 * environment an operator exports: ROLLCALL_ENDPOINTS and ROLLCALL_ADMIN_TOKEN.
 */
export async function rollcall(
  args: string[],
  env: { endpoints: string[]; token: string },
): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await run(args, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { ROLLCALL_ENDPOINTS: env.endpoints.join(','), ROLLCALL_ADMIN_TOKEN: env.token },
  });
  return { code, out, err };
}

export interface MemberRow {
  node: string;
  role: string;
  reachable: boolean;
}

/** The rows of the table `rollcall members ...` prints (as an operator reads it). */
export function memberRows(out: string): MemberRow[] {
  const lines = out.trim().split('\n');
  if (!lines[0]?.startsWith('NODE')) throw new Error(`not a member table: ${out}`);
  return lines
    .slice(1, -1) // the header, and the closing `configuration at log index N`
    .map((line) => line.trim().split(/\s+/))
    .map(([node, role, , reachable]) => ({ node, role, reachable: reachable === 'yes' }));
}
