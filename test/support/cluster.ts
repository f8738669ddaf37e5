import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HealthDto } from '../../src/health/health.dto';
import { ProxyMesh } from './fault-proxy';
import { freePorts } from './free-port';
import { NodeProcess, writeClusterConfig } from './node-process';
import { PINNED_LOAD } from './pinned-load';
import { waitFor } from './poll';
import { makeTempDir } from './temp-dir';

export interface ClusterOptions {
  size: number;
  /** Put a fault-injecting proxy in front of every election port. */
  proxied?: boolean;
  heartbeatIntervalMs?: number;
  electionTimeoutMinMs?: number;
  electionTimeoutMaxMs?: number;
  leaderTermMs?: number;
  extra?: string;
  env?: Record<string, string>;
  /** Initial CPU load per node (pinned through CPU_LOAD_FILE); PINNED_LOAD each if unset. */
  loads?: number[];
  /** Seed of the proxy mesh's loss draws (setLoss). */
  meshSeed?: number;
  /** Each node's data directory (a restored backup, say); default: a new one per node. */
  dataDirs?: string[];
  /**
   * Nodes beyond `size` with ports of their own, not started and not in `peers`: new machines
   * for membership changes (startNode(i) starts one, its config.toml's peers naming itself too).
   */
  spares?: number;
  /** How long start() waits for every node to serve (default 15 s, waitUntilServing's). */
  startTimeoutMs?: number;
}

/** A real cluster of node processes on loopback, with its config, data and proxies. */
export class TestCluster {
  readonly nodes: (NodeProcess | null)[] = [];
  ids: string[] = [];
  mesh: ProxyMesh | null = null;
  private readonly tmp = makeTempDir('rollcall-cluster-');
  private config = '';
  private apiPorts: number[] = [];
  private binds: number[] = [];

  constructor(readonly opts: ClusterOptions) {}

  /**
   * Picks the nodes' ports, so `ids` and `url(i)` are known before anything starts (a data
   * directory restored for these addresses, say); start() does it when not done yet.
   */
  async reserve(): Promise<this> {
    if (this.ids.length > 0) return this;
    const all = this.opts.size + (this.opts.spares ?? 0);
    const ports = await freePorts(all * (this.opts.proxied ? 3 : 2));
    this.apiPorts = ports.slice(0, all);
    this.binds = ports.slice(all, 2 * all);
    const idPorts = this.opts.proxied ? ports.slice(2 * all) : this.binds;
    this.ids = idPorts.map((p) => `127.0.0.1:${p}`);
    return this;
  }

  async start(): Promise<this> {
    const n = this.opts.size;
    await this.reserve();
    if (this.opts.proxied) {
      this.mesh = new ProxyMesh(new Map(this.ids.map((id, i) => [id, this.binds[i]])), {
        seed: this.opts.meshSeed,
      });
      await this.mesh.start();
    }
    this.config = writeClusterConfig(this.tmp.dir, { ...this.opts, peers: this.ids.slice(0, n) });
    this.opts.loads?.forEach((load, i) => this.setLoad(i, load));
    for (let i = 0; i < n; i++) this.startNode(i);
    try {
      await Promise.all(
        this.nodes.map(
          (node) => node?.waitUntilServing(this.opts.startTimeoutMs) ?? Promise.resolve(),
        ),
      );
    } catch (err) {
      // The test never gets the cluster to stop: its processes would outlive the run.
      await this.stop();
      throw err;
    }
    return this;
  }

  /** Starts node `i` (again); `env` adds to the cluster's environment for this node only. */
  startNode(i: number, env: Record<string, string> = {}): NodeProcess {
    if (!existsSync(this.loadFile(i))) this.setLoad(i, PINNED_LOAD);
    const node = new NodeProcess({
      config: i < this.opts.size ? this.config : this.spareConfig(i),
      thisNode: this.ids[i],
      apiPort: this.apiPorts[i],
      dataDir: this.opts.dataDirs?.[i] ?? join(this.tmp.dir, `data-${i}`),
      env: {
        CPU_LOAD_FILE: this.loadFile(i),
        ...this.opts.env,
        ...env,
        ...(this.opts.proxied ? { ELECTION_BIND: `127.0.0.1:${this.binds[i]}` } : {}),
      },
    });
    this.nodes[i] = node;
    return node;
  }

  node(i: number): NodeProcess {
    const n = this.nodes[i];
    if (!n) throw new Error(`node ${i} is not running`);
    return n;
  }

  url(i: number): string {
    return `http://127.0.0.1:${this.apiPorts[i]}`;
  }

  setLoad(i: number, pct: number): void {
    writeFileSync(this.loadFile(i), String(pct));
  }

  /** A new machine's config.toml: the bootstrap peers and itself (the log then says otherwise). */
  private spareConfig(i: number): string {
    const dir = join(this.tmp.dir, `spare-${i}`);
    mkdirSync(dir, { recursive: true });
    const peers = [...this.ids.slice(0, this.opts.size), this.ids[i]];
    return writeClusterConfig(dir, { ...this.opts, peers });
  }

  private loadFile(i: number): string {
    return join(this.tmp.dir, `cpu-${i}`);
  }

  async health(i: number): Promise<HealthDto | null> {
    try {
      const res = await fetch(`${this.url(i)}/`, { signal: AbortSignal.timeout(1000) });
      return (await res.json()) as HealthDto;
    } catch {
      return null;
    }
  }

  /** Waits until exactly one of `among` answers as leader and all others in `among` agree. */
  async waitForLeader(among = this.nodes.map((_, i) => i), timeoutMs = 15_000): Promise<number> {
    return waitFor(
      `one leader among nodes ${among.join(',')}`,
      async () => {
        const hs = await Promise.all(among.map((i) => this.health(i)));
        if (hs.some((h) => h === null)) return undefined;
        const leaders = among.filter((_, k) => hs[k]?.is_leader);
        if (leaders.length !== 1) return undefined;
        const id = this.ids[leaders[0]];
        if (!hs.every((h) => h?.current_leader === id)) return undefined;
        // The leader's lease shows on a leader-only route.
        const res = await fetch(`${this.url(leaders[0])}/users`);
        return res.status === 200 ? leaders[0] : undefined;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n?.kill() ?? Promise.resolve()));
    await this.mesh?.stop();
    this.tmp.cleanup();
  }
}
