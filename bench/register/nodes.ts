import type { Agent } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchClusterToml, type RollcallTimings } from '../failover/rollcall';
import { Child } from '../lib/children';
import type { BenchTls } from '../lib/bench-tls';
import { jsonOf, keepAliveAgent, LOOPBACK, loopbackRequest } from '../lib/loopback-http';
import { freePorts } from '../lib/ports';
import { waitFor } from '../lib/time';

/** What GET / says about a node, as far as this bench reads it. */
export interface NodeHealth {
  isLeader: boolean;
  leader: string | null;
  term: number;
  registered: number;
  lastIndex: number;
  commitIndex: number;
  appliedIndex: number;
}

/** How the nodes of a bench cluster run, beyond their timings. */
export interface NodesOptions {
  /** LOG_LEVEL of every node (default warn: only trouble is printed). */
  logLevel?: string;
  /** CLUSTER_SECRET for every node, or none. */
  secret?: string | null;
  /** More config.toml lines (`follower_heartbeats = true`). */
  extraToml?: readonly string[];
  /** Peer mTLS and API HTTPS on every node, or neither. */
  tls?: BenchTls | null;
}

/**
 * `size` rollcall nodes as real processes from a snapshot of dist/main.js, on loopback, whose
 * `peers` hold exactly these nodes: 3 is a replicated cluster, 1 a single node without
 * replication (it still writes and fsyncs its log, it only has no one to wait for).
 */
export class RollcallNodes {
  private readonly nodes: Child[] = [];
  private ids: string[] = [];
  private ports: number[] = [];

  /** The bench's own requests to the nodes (health, leader checks): HTTPS when tls is on. */
  readonly agent: Agent;

  constructor(
    private readonly mainJs: string,
    private readonly timings: RollcallTimings,
    private readonly dir: string,
    readonly size: number,
    private readonly options: NodesOptions = {},
  ) {
    this.agent = keepAliveAgent(8, options.tls?.ca ?? null);
  }

  /** The CA a client of these nodes must trust, or null when they speak plain HTTP. */
  get ca(): Buffer | null {
    return this.options.tls?.ca ?? null;
  }

  get apiPorts(): readonly number[] {
    return this.ports;
  }

  get pids(): number[] {
    return this.nodes.map((n) => n.pid);
  }

  async start(): Promise<void> {
    const ports = await freePorts(2 * this.size);
    this.ports = ports.slice(0, this.size);
    this.ids = ports.slice(this.size).map((p) => `${LOOPBACK}:${p}`);
    mkdirSync(this.dir, { recursive: true });
    const configFile = join(this.dir, 'config.toml');
    const extraToml = this.options.extraToml ?? [];
    writeFileSync(configFile, benchClusterToml(this.ids, this.timings) + extraToml.join('\n'));
    const { secret, tls } = this.options;
    for (let i = 0; i < this.size; i++) {
      // A minimal environment: nothing from the caller's (no Drive ids, no peers) reaches the node.
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        API_PORT: String(this.ports[i]),
        API_HOST: LOOPBACK,
        DATA_DIR: join(this.dir, `n${i}`),
        LOG_LEVEL: this.options.logLevel ?? 'warn',
        ...(secret ? { CLUSTER_SECRET: secret } : {}),
        ...(tls?.env ?? {}),
      };
      this.nodes.push(
        new Child(
          `rollcall ${this.ids[i]}`,
          process.execPath,
          [this.mainJs, '--config', configFile, '--this-node', this.ids[i]],
          env,
          this.dir,
        ),
      );
    }
  }

  async health(i: number): Promise<NodeHealth | null> {
    try {
      const res = await loopbackRequest(this.ports[i], 'GET', '/', 2000, undefined, this.agent);
      const h = res.status === 200 ? jsonOf(res) : null;
      if (!h) return null;
      const log = (h.log ?? {}) as Record<string, unknown>;
      return {
        isLeader: h.is_leader === true,
        leader: typeof h.current_leader === 'string' ? h.current_leader : null,
        term: Number(h.term),
        registered: Number(h.registered_count),
        lastIndex: Number(log.last_index),
        commitIndex: Number(log.commit_index),
        appliedIndex: Number(log.applied_index),
      };
    } catch {
      return null;
    }
  }

  /**
   * The API port of the leader once every node answers, exactly one says is_leader, all name
   * it, and it answers GET /users with 200.
   */
  async waitLeader(timeoutMs: number): Promise<number> {
    return waitFor(
      'one rollcall leader that every node agrees on and that serves GET /users',
      async () => {
        const dead = this.nodes.find((n) => !n.running);
        if (dead) throw new Error(`${dead.name} exited: ${dead.tail.slice(-5).join(' | ')}`);
        const hs = await Promise.all(this.ports.map((_, i) => this.health(i)));
        if (hs.some((h) => h === null)) return undefined;
        const leaders = hs.flatMap((h, i) => (h?.isLeader ? [i] : []));
        if (leaders.length !== 1) return undefined;
        if (!hs.every((h) => h?.leader === this.ids[leaders[0]])) return undefined;
        const port = this.ports[leaders[0]];
        const users = await loopbackRequest(port, 'GET', '/users', 2000, undefined, this.agent);
        return users.status === 200 ? port : undefined;
      },
      timeoutMs,
      50,
    );
  }

  /** The port of whichever node says it leads right now, or null. */
  async currentLeader(): Promise<number | null> {
    const hs = await Promise.all(this.ports.map((_, i) => this.health(i)));
    const i = hs.findIndex((h) => h?.isLeader);
    return i < 0 ? null : this.ports[i];
  }

  /** Nodes that exited on their own, with their last lines. */
  exited(): { name: string; tail: string[] }[] {
    return this.nodes.filter((n) => !n.running).map((n) => ({ name: n.name, tail: [...n.tail] }));
  }

  /** What each node printed (warnings and errors at LOG_LEVEL=warn), last lines only. */
  tails(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const n of this.nodes) if (n.tail.length > 0) out[n.name] = [...n.tail];
    return out;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    await Promise.all(this.nodes.map((n) => n.kill()));
  }
}
