import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child, removeTempDir, trackTempDir } from '../lib/children';
import { LOOPBACK } from '../lib/loopback-http';
import { freePorts } from '../lib/ports';
import { processCpuMs } from '../lib/proc-cpu';
import { now } from '../lib/time';

/** Issue 13's cluster: heartbeat 100 ms, election 1000-2000 ms, a leader term of 4 s. */
export const FLAP_TIMINGS = {
  heartbeat_interval_ms: 100,
  election_timeout_min_ms: 1000,
  election_timeout_max_ms: 2000,
  leader_term_ms: 4000,
  net_timeout_ms: 1000,
  cpu_refresh_ms: 500,
  election_retry_ms: 100,
};

/** How far back the fed machine load looks: the nodes' own sampling period. */
const OWN_WINDOW_MS = FLAP_TIMINGS.cpu_refresh_ms;

/**
 * Three rollcall nodes, each on a pretend machine of its own: its CPU_LOAD_FILE is fed its
 * background (set by the bench) plus what its real process spent over the last window, read
 * from /proc/<pid>/stat, as a machine running only that node and a background job would show.
 */
export class FedCluster {
  readonly apiPorts: number[] = [];
  readonly ids: string[] = [];
  readonly backgrounds: number[];
  private readonly dir = mkdtempSync(join(tmpdir(), 'rollcall-flap-'));
  private readonly nodes: Child[] = [];
  /** Per node, recent (time, process CPU ms) readings. */
  private readonly readings: Array<Array<{ at: number; cpuMs: number }>> = [];

  constructor(
    private readonly mainJs: string,
    backgrounds: number[],
  ) {
    trackTempDir(this.dir);
    this.backgrounds = [...backgrounds];
  }

  async start(): Promise<void> {
    const n = this.backgrounds.length;
    const ports = await freePorts(2 * n);
    this.apiPorts.push(...ports.slice(0, n));
    this.ids.push(...ports.slice(n).map((p) => `${LOOPBACK}:${p}`));
    const config = join(this.dir, 'config.toml');
    const lines = Object.entries(FLAP_TIMINGS).map(([k, v]) => `${k} = ${v}`);
    const peers = `peers = [${this.ids.map((p) => `"${p}"`).join(', ')}]`;
    writeFileSync(config, [peers, ...lines, 'register_limit = 0', ''].join('\n'));
    for (let i = 0; i < n; i++) {
      this.feed(i, this.backgrounds[i]);
      const env = {
        PATH: process.env.PATH,
        API_PORT: String(this.apiPorts[i]),
        API_HOST: LOOPBACK,
        DATA_DIR: join(this.dir, `n${i}`),
        CPU_LOAD_FILE: this.loadFile(i),
        LOG_LEVEL: 'warn',
      };
      const args = [this.mainJs, '--config', config, '--this-node', this.ids[i]];
      this.nodes.push(new Child(`node ${i}`, process.execPath, args, env, this.dir));
      this.readings.push([]);
    }
  }

  /** One feeding round: each node's machine load from its background and its own CPU. */
  feedAll(): number[] {
    return this.nodes.map((node, i) => {
      const own = this.ownShare(i, node.pid);
      this.feed(i, Math.min(100, this.backgrounds[i] + own));
      return own;
    });
  }

  running(i: number): boolean {
    return this.nodes[i]?.running ?? false;
  }

  tail(i: number): string[] {
    return [...(this.nodes[i]?.tail ?? [])];
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    removeTempDir(this.dir);
  }

  /** The process's CPU over the last window, in percent of all cores. */
  private ownShare(i: number, pid: number): number {
    const cpuMs = processCpuMs(pid);
    if (cpuMs === null) return 0;
    const at = now();
    const history = this.readings[i];
    history.push({ at, cpuMs });
    while (history.length > 2 && at - history[1].at >= OWN_WINDOW_MS) history.shift();
    const first = history[0];
    if (at <= first.at) return 0;
    return (100 * (cpuMs - first.cpuMs)) / ((at - first.at) * cpus().length);
  }

  /** Written aside and renamed: a node must never read a half-written (empty, so 0) file. */
  private feed(i: number, machinePct: number): void {
    const file = this.loadFile(i);
    writeFileSync(`${file}.new`, machinePct.toFixed(1));
    renameSync(`${file}.new`, file);
  }

  private loadFile(i: number): string {
    return join(this.dir, `cpu-${i}`);
  }
}
