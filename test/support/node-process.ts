import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import type { HealthDto } from '../../src/health/health.dto';
import { tlsFetch } from '../../src/sdk/tls-fetch';
import { httpAdapterEnv } from './http-adapter';
import { waitFor } from './poll';

/**
 * The package's dist/main.js, found from the nearest directory up with a package.json: this file
 * also runs compiled elsewhere (the chaos runner's .chaos-build/), where ../../dist is not it.
 */
export const PACKAGE_ROOT = packageRoot(__dirname);
export const MAIN_JS = join(PACKAGE_ROOT, 'dist', 'main.js');

function packageRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return join(from, '..', '..');
}

export interface ClusterFile {
  peers: string[];
  heartbeatIntervalMs?: number;
  electionTimeoutMinMs?: number;
  electionTimeoutMaxMs?: number;
  leaderTermMs?: number;
  extra?: string;
  /** register_limit; off (0) unless a test is about it, since tests register in bulk. */
  registerLimit?: number;
}

/** Writes a config.toml with fast timings suited to tests; returns its path. */
export function writeClusterConfig(dir: string, c: ClusterFile): string {
  const file = join(dir, 'config.toml');
  writeFileSync(
    file,
    [
      `this_node = "${c.peers[0]}"`,
      `peers = [${c.peers.map((p) => `"${p}"`).join(', ')}]`,
      `heartbeat_interval_ms = ${c.heartbeatIntervalMs ?? 50}`,
      `election_timeout_min_ms = ${c.electionTimeoutMinMs ?? 300}`,
      `election_timeout_max_ms = ${c.electionTimeoutMaxMs ?? 600}`,
      `leader_term_ms = ${c.leaderTermMs ?? 5000}`,
      'net_timeout_ms = 200',
      'cpu_refresh_ms = 100',
      'election_retry_ms = 50',
      `register_limit = ${c.registerLimit ?? 0}`,
      c.extra ?? '',
    ].join('\n'),
  );
  return file;
}

export interface NodeOptions {
  config: string;
  thisNode?: string;
  apiPort: number;
  dataDir: string;
  env?: Record<string, string>;
  extraArgs?: string[];
  /** Run as this user (the test must be root), e.g. so file permissions apply to the node. */
  uid?: number;
  gid?: number;
  /**
   * What node runs instead of dist/main.js, the node's own arguments following it, e.g. the Nest
   * CLI's `start --` from a copy of the project (cwd). It runs in a process group of its own, so
   * that kill() also ends the node it started.
   */
  launcher?: { args: string[]; cwd: string };
  /**
   * When the node serves HTTPS (API_TLS_* in env): the CA of its certificate, and the client
   * certificate to show it if it asks for one. Its url is then https://, and `fetch` uses them.
   */
  apiClientTls?: { caFile: string; certFile?: string; keyFile?: string };
}

/** A rollcall node run as a real process from dist/main.js (or by a launcher). */
export class NodeProcess {
  readonly lines: string[] = [];
  readonly url: string;
  /** The global fetch, or one that trusts `apiCaFile`. */
  readonly fetch: typeof fetch;
  private readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly opts: NodeOptions) {
    const tls = opts.apiClientTls;
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${opts.apiPort}`;
    this.fetch = tls
      ? tlsFetch({
          ca: readFileSync(tls.caFile),
          cert: tls.certFile ? readFileSync(tls.certFile) : undefined,
          key: tls.keyFile ? readFileSync(tls.keyFile) : undefined,
        })
      : fetch;
    const args = [...(opts.launcher?.args ?? [MAIN_JS]), '--config', opts.config];
    if (opts.thisNode) args.push('--this-node', opts.thisNode);
    if (!opts.launcher && !existsSync(MAIN_JS)) {
      throw new Error(`${MAIN_JS} is missing: run \`npm run build\` first`);
    }
    args.push(...(opts.extraArgs ?? []));
    this.child = spawn(process.execPath, args, {
      cwd: opts.launcher?.cwd,
      detached: opts.launcher !== undefined,
      env: {
        PATH: process.env.PATH,
        API_PORT: String(opts.apiPort),
        API_HOST: '127.0.0.1',
        DATA_DIR: opts.dataDir,
        LOG_LEVEL: 'info',
        ...httpAdapterEnv(),
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
    });
    // Whole lines only: a chunk can end mid-line.
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.lines.push(line));
    }
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** GET /: the node's own view (HealthDto, what every node answers). */
  async health(): Promise<HealthDto> {
    const res = await this.fetch(`${this.url}/`, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as HealthDto;
  }

  async waitUntilServing(timeoutMs = 15_000): Promise<void> {
    await waitFor(
      `${this.url} to answer`,
      async () => {
        if (!this.running) throw new Error(`process exited: ${this.lines.slice(-5).join(' | ')}`);
        return (await this.health()).status === 'ok';
      },
      timeoutMs,
    );
  }

  /** SIGKILL (a launcher: its whole process group) and wait for the process to be gone. */
  async kill(): Promise<void> {
    if (this.opts.launcher && this.running) process.kill(-this.pid, 'SIGKILL');
    else this.signal('SIGKILL');
    await this.exited;
  }
}
