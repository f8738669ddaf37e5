import { readFileSync } from 'node:fs';
import { RollcallError } from '../sdk/errors';
import { tlsFetch } from '../sdk/tls-fetch';
import { RollcallAdmin } from '../sdk/rollcall-admin';

/** What a command reads and writes: the process's in production, a test's in tests. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

/** Exit codes: 1 when the cluster refused or could not do it, 2 for a wrong command line. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A wrong or incomplete command line, said in one line. */
export class UsageError extends Error {}

/** The options every command that talks to the cluster takes. */
export interface ClusterOptions {
  endpoints?: string;
  token?: string;
  json?: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/**
 * How the CLI reaches https:// endpoints: --ca-file (else ROLLCALL_CA_FILE) is the CA their
 * certificates must chain to, --cert-file/--key-file a client certificate for a cluster that
 * requires one. There is no option to skip verification. The test's fetch wins when given.
 */
export function fetchOf(opts: ClusterOptions, io: CliIo): typeof fetch {
  if (io.fetch) return io.fetch;
  const caFile = opts.caFile ?? io.env.ROLLCALL_CA_FILE;
  const certFile = opts.certFile ?? io.env.ROLLCALL_CERT_FILE;
  const keyFile = opts.keyFile ?? io.env.ROLLCALL_KEY_FILE;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError('a client certificate needs both --cert-file and --key-file');
  }
  if (!caFile && !certFile) return fetch;
  return tlsFetch({
    ca: caFile ? readOption(caFile, '--ca-file') : undefined,
    cert: certFile ? readOption(certFile, '--cert-file') : undefined,
    key: keyFile ? readOption(keyFile, '--key-file') : undefined,
  });
}

function readOption(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** --endpoints, else ROLLCALL_ENDPOINTS: the HTTP APIs of any of the cluster's nodes. */
export function endpointsOf(opts: ClusterOptions, io: CliIo): string[] {
  const list = (opts.endpoints ?? io.env.ROLLCALL_ENDPOINTS ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (list.length === 0) {
    throw new UsageError(
      'no endpoints: pass --endpoints http(s)://host:port,... or set ROLLCALL_ENDPOINTS',
    );
  }
  return list.map((e) => (/^https?:\/\//.test(e) ? e : `http://${e}`).replace(/\/+$/, ''));
}

/** An SDK client for the admin routes, with --token or ROLLCALL_ADMIN_TOKEN. */
export function adminOf(opts: ClusterOptions, io: CliIo): RollcallAdmin {
  const token = opts.token ?? io.env.ROLLCALL_ADMIN_TOKEN;
  if (!token) {
    throw new UsageError('no admin token: pass --token or set ROLLCALL_ADMIN_TOKEN');
  }
  return new RollcallAdmin({ nodes: endpointsOf(opts, io), token, fetch: fetchOf(opts, io) });
}

/** The one line a failure is reported with, and its exit code. */
export function failureOf(err: unknown): { line: string; code: number } {
  if (err instanceof UsageError) return { line: err.message, code: EXIT_USAGE };
  if (err instanceof RollcallError && err.status === 401) {
    return { line: `${err.message} (check --token or ROLLCALL_ADMIN_TOKEN)`, code: EXIT_FAILED };
  }
  return { line: (err as Error).message ?? String(err), code: EXIT_FAILED };
}

/** Columns padded to their widest cell, as `kubectl get` prints them. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
