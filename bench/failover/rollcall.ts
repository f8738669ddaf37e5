import { cpSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Child, removeTempDir, trackTempDir } from '../lib/children';
import type { Agent } from 'node:http';
import { type BenchTls, makeBenchTls } from '../lib/bench-tls';
import { jsonOf, keepAliveAgent, LOOPBACK, loopbackRequest } from '../lib/loopback-http';
import { freePorts } from '../lib/ports';
import { waitFor, within } from '../lib/time';
import type { FailoverSystem } from './system';

/** The seed's config.toml keys. */
export interface RollcallTimings {
  heartbeat_interval_ms: number;
  election_timeout_min_ms: number;
  election_timeout_max_ms: number;
  leader_term_ms: number;
  net_timeout_ms: number;
  cpu_refresh_ms: number;
  election_retry_ms: number;
}

/** The config.toml every node of a bench cluster reads (`--this-node` picks each one's id). */
export function benchClusterToml(ids: readonly string[], timings: RollcallTimings): string {
  return [
    `this_node = "${ids[0]}"`,
    `peers = [${ids.map((p) => `"${p}"`).join(', ')}]`,
    ...Object.entries(timings).map(([k, v]) => `${k} = ${v}`),
    // Every load comes from 127.0.0.1: the per-address registration limit would be the bench.
    'register_limit = 0',
    '',
  ].join('\n');
}

/**
 * The throughput benches' timings: the tests' fast election, and a leader_term_ms long enough
 * that no load transfer happens mid-run.
 */
export const STEADY_TIMINGS: RollcallTimings = {
  heartbeat_interval_ms: 50,
  election_timeout_min_ms: 300,
  election_timeout_max_ms: 600,
  leader_term_ms: 600_000,
  net_timeout_ms: 500,
  cpu_refresh_ms: 500,
  election_retry_ms: 50,
};

const PROBE_TIMEOUT_MS = 500;
/** Clients that come online at the leader just before each trial's signal, with `probe: 'discover'`. */
const CLIENTS_PER_TRIAL = 20;

/**
 * What a survivor must answer for the trial to end: `users`, GET /users with 200; `discover`,
 * GET /discover with 200 listing every client that came online at the old leader just before
 * the signal (each heartbeat answered 200 first).
 */
export type FailoverProbe = 'users' | 'discover';

/**
 * Copies dist/ into the bench's temp dir (with node_modules linked beside it, from `modulesFrom`)
 * so that a rebuild of dist/ while the bench runs cannot change the code under test half-way.
 */
export function snapshotBuild(repoRoot: string, into: string, modulesFrom = repoRoot): string {
  const dist = join(repoRoot, 'dist');
  if (!existsSync(join(dist, 'main.js'))) {
    throw new Error(`${join(dist, 'main.js')} is missing: run \`npm run build\` first`);
  }
  const app = join(into, 'app');
  mkdirSync(app, { recursive: true });
  cpSync(dist, join(app, 'dist'), { recursive: true });
  symlinkSync(resolve(modulesFrom, 'node_modules'), join(app, 'node_modules'), 'dir');
  return join(app, 'dist', 'main.js');
}

/** How a failover cluster runs, beyond its timings. */
export interface RollcallClusterOptions {
  /** LOG_LEVEL of every node (default warn). */
  logLevel?: string;
  /** Members (default 3). */
  size?: number;
  probe?: FailoverProbe;
  /** Peer mTLS on the election port and HTTPS on the API, with certificates made at start. */
  tls?: boolean;
}

/** Three (or n) rollcall nodes as real processes from a snapshot of dist/main.js, on loopback. */
export class RollcallCluster implements FailoverSystem {
  readonly kind = 'rollcall';
  readonly size: number;
  private readonly logLevel: string;
  private readonly probe: FailoverProbe;
  private readonly tls: BenchTls | null;
  /** Every probe of this cluster's nodes: HTTPS trusting its CA when tls is on. */
  private readonly agent: Agent;
  private readonly dir: string;
  private readonly nodes: (Child | null)[] = [];
  private ids: string[] = [];
  private apiPorts: number[] = [];
  private configFile = '';

  /** Names that must be in a survivor's /discover (probe 'discover'). */
  private expectedOnline: string[] = [];

  constructor(
    private readonly mainJs: string,
    private readonly timings: RollcallTimings,
    options: RollcallClusterOptions = {},
  ) {
    this.logLevel = options.logLevel ?? 'warn';
    this.size = options.size ?? 3;
    this.probe = options.probe ?? 'users';
    this.dir = mkdtempSync(join(tmpdir(), 'rollcall-bench-'));
    trackTempDir(this.dir);
    this.tls = options.tls ? makeBenchTls(join(this.dir, 'certs')) : null;
    // As many sockets as the trial loop's probes of every member at once, kept alive between
    // probes: a new TLS handshake per probe would be timed as part of the failover.
    this.agent = keepAliveAgent(8, this.tls?.ca ?? null);
  }

  async start(): Promise<void> {
    const ports = await freePorts(2 * this.size);
    this.apiPorts = ports.slice(0, this.size);
    this.ids = ports.slice(this.size).map((p) => `${LOOPBACK}:${p}`);
    this.configFile = join(this.dir, 'config.toml');
    writeFileSync(this.configFile, benchClusterToml(this.ids, this.timings));
    for (let i = 0; i < this.size; i++) this.spawn(i);
    await Promise.all(this.ids.map((_, i) => this.waitServing(i, 30_000)));
  }

  private spawn(i: number): void {
    // A minimal environment: nothing from the caller's (no Drive ids, no peers) reaches the node.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      API_PORT: String(this.apiPorts[i]),
      API_HOST: LOOPBACK,
      DATA_DIR: join(this.dir, `n${i}`),
      LOG_LEVEL: this.logLevel,
      ...(this.tls?.env ?? {}),
    };
    this.nodes[i] = new Child(
      this.memberName(i),
      process.execPath,
      [this.mainJs, '--config', this.configFile, '--this-node', this.ids[i]],
      env,
      this.dir,
    );
  }

  private async waitServing(i: number, timeoutMs: number): Promise<void> {
    await waitFor(
      `${this.memberName(i)} to answer GET /`,
      async () => {
        const node = this.nodes[i];
        if (!node?.running) throw new Error(`exited: ${node?.tail.slice(-5).join(' | ')}`);
        return (await this.health(i))?.status === 'ok';
      },
      timeoutMs,
    );
  }

  private async health(i: number): Promise<Record<string, unknown> | null> {
    try {
      const res = await loopbackRequest(this.apiPorts[i], 'GET', '/', 1000, undefined, this.agent);
      return res.status === 200 ? jsonOf(res) : null;
    } catch {
      return null;
    }
  }

  async waitHealthy(timeoutMs: number): Promise<number> {
    return waitFor(
      'one rollcall leader that every node agrees on',
      async () => {
        const hs = await Promise.all(this.ids.map((_, i) => this.health(i)));
        if (hs.some((h) => h === null)) return undefined;
        const leaders = hs.flatMap((h, i) => (h?.is_leader === true ? [i] : []));
        if (leaders.length !== 1) return undefined;
        const id = this.ids[leaders[0]];
        if (!hs.every((h) => h?.current_leader === id)) return undefined;
        return (await this.servesAsLeader(leaders[0])) ? leaders[0] : undefined;
      },
      timeoutMs,
      50,
    );
  }

  async beforeSignal(leader: number, trial: number): Promise<void> {
    if (this.probe !== 'discover') return;
    const names = Array.from({ length: CLIENTS_PER_TRIAL }, (_, k) => `t${trial}-c${k}`);
    const port = this.apiPorts[leader];
    for (const username of names) {
      const body = JSON.stringify({ username, addr: `10.9.${trial % 256}.${names.length}:9000` });
      const res = await loopbackRequest(port, 'POST', '/register', 5000, body, this.agent);
      if (res.status !== 200) throw new Error(`register ${username}: ${res.status} ${res.body}`);
    }
    // All at once, as clients coming online together do; the signal follows the last answer.
    const beats = await Promise.all(
      names.map((username) =>
        loopbackRequest(port, 'POST', '/heartbeat', 5000, JSON.stringify({ username }), this.agent),
      ),
    );
    const refused = beats.find((b) => b.status !== 200);
    if (refused) throw new Error(`heartbeat: ${refused.status} ${refused.body}`);
    this.expectedOnline = names;
  }

  async servesAsLeader(i: number): Promise<boolean> {
    try {
      const path = this.probe === 'discover' ? '/discover' : '/users';
      const res = await loopbackRequest(
        this.apiPorts[i],
        'GET',
        path,
        PROBE_TIMEOUT_MS,
        undefined,
        this.agent,
      );
      if (res.status !== 200) return false;
      if (this.probe === 'users') return true;
      const listed = jsonOf(res)?.online_clients;
      const names = new Set(
        Array.isArray(listed) ? listed.map((c) => (c as { username?: unknown }).username) : [],
      );
      return this.expectedOnline.every((n) => names.has(n));
    } catch {
      return false;
    }
  }

  signal(i: number, sig: NodeJS.Signals): void {
    this.nodes[i]?.signal(sig);
  }

  async waitExit(i: number, timeoutMs: number) {
    const node = this.nodes[i];
    if (!node) return { code: null, signal: null };
    const gone = await within(node.exited, timeoutMs, null);
    if (gone) return gone;
    await node.kill();
    return { code: null, signal: `SIGKILL after ${timeoutMs} ms` };
  }

  async restart(i: number): Promise<void> {
    if (this.nodes[i]?.running) throw new Error(`${this.memberName(i)} is still running`);
    this.spawn(i);
    await this.waitServing(i, 30_000);
  }

  memberName(i: number): string {
    return `rollcall ${this.ids[i] ?? `#${i}`}`;
  }

  lineMark(i: number): number {
    return this.nodes[i]?.lineCount ?? 0;
  }

  linesSince(i: number, mark: number): string[] {
    return this.nodes[i]?.linesSince(mark) ?? [];
  }

  tail(i: number): string[] {
    return [...(this.nodes[i]?.tail ?? [])];
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n?.kill() ?? Promise.resolve()));
    this.agent.destroy();
    removeTempDir(this.dir);
  }
}
